import { parseEndpoint } from '../../mavlink/endpoint.ts';
import { UdpDuplex } from '../../mavlink/transports/udp.ts';
import type { SecretsFile, Site } from '../../site/index.ts';
import type { SimDroneHandle, SimDroneOptions } from '../drone/types.ts';
import { startSimSpeaker, type SimSpeakerHandle } from '../speaker/device.ts';
import type { Clip } from '../speaker/playback.ts';
import { createWavRenderer } from '../speaker/tts-wav.ts';

export interface FleetDroneOptions {
  speed: number;
  seed: number;
  droneUdpPorts: 'site' | 'any';
  /** MAVLink signing keys by drone id: a drone with one signs, as the real one would once its key is installed. */
  signingKeys?: ReadonlyMap<string, Buffer>;
  startDrone?(opts: SimDroneOptions): Promise<SimDroneHandle>;
  log(line: string): void;
}

/**
 * Starts the selected site drones, one MAVLink endpoint each, into `into` (so a caller
 * that fails half way can still close the ones that started).
 */
/** A DJI Dock 2 class charger: about 20 % → 90 % in 32 minutes. */
const FLEET_DOCK_CHARGE_PCT_PER_MIN = 2.2;

export async function startFleetDrones(site: Site, ids: readonly string[], into: Map<string, SimDroneHandle>, opts: FleetDroneOptions): Promise<void> {
  const droneModule = await import('../drone/index.ts');
  const startDrone = opts.startDrone ?? droneModule.startSimDrone;
  for (const [i, d] of site.drones.entries()) {
    if (!ids.includes(d.id)) continue;
    const ep = parseEndpoint(d.mavlink.url);
    const port = opts.droneUdpPorts === 'any' ? 0 : ep.port;
    const signingKey = opts.signingKeys?.get(d.id);
    const droneOpts: SimDroneOptions = {
      drone: d,
      speed: opts.speed,
      seed: opts.seed * 1000 + i,
      // The fleet flies the site's aircraft from the site's docks: the pack the site
      // declares (a bare sim drone defaults to SITL's small default battery) and a dock
      // that charges it between sorties, so reliefs can go round as on a real station.
      batteryEnduranceS: 'site',
      dockChargePctPerMin: FLEET_DOCK_CHARGE_PCT_PER_MIN,
      ...(signingKey ? { signingKey } : {}),
    };
    if (ep.transport === 'udp' && opts.droneUdpPorts !== 'any' && !opts.startDrone) {
      // udp:// means the ground station listens on that port and the vehicle speaks
      // first, as ArduPilot's UDP output to a GCS does: the sim sends to it.
      const stream = await UdpDuplex.open({ bindPort: 0, remote: { host: ep.host, port: ep.port } });
      const h = droneModule.attachSimDrone(stream, droneOpts);
      into.set(d.id, h);
      opts.log(`drone ${d.id} sysid ${h.systemId} sending to udp ${ep.host}:${ep.port}`);
      continue;
    }
    // udpout:// means the ground sends first to the vehicle's port; tcp:// is a
    // SITL-style TCP server.
    if (ep.transport === 'tcp') droneOpts.tcpPort = port;
    else droneOpts.udpPort = port;
    const h = await startDrone(droneOpts);
    into.set(d.id, h);
    opts.log(`drone ${d.id} sysid ${h.systemId} on ${h.udpPort !== undefined ? `udp 127.0.0.1:${h.udpPort}` : `tcp 127.0.0.1:${h.tcpPort}`}`);
  }
}

export interface FleetSpeakerOptions {
  mqttUrl: string;
  secrets: SecretsFile;
  speed: number;
  /** Started drones: a drone-mounted speaker reports its drone's live position. */
  drones: ReadonlyMap<string, SimDroneHandle>;
  telemetryIntervalS?: number;
  wavDir?: string;
  log(line: string): void;
}

/** Starts the selected loudspeakers (fixed and drone-mounted) into `into`; rejects if any cannot connect. */
export async function startFleetSpeakers(site: Site, ids: readonly string[], into: Map<string, SimSpeakerHandle>, opts: FleetSpeakerOptions): Promise<void> {
  const clips = new Map<string, Clip>(site.warnings.map((w) => [w.id, { text: w.text, lang: w.lang }]));
  const wav = opts.wavDir ? createWavRenderer(opts.wavDir) : undefined;
  if (opts.wavDir && !wav) opts.log(`espeak-ng is not installed: no WAV rendering to ${opts.wavDir}`);
  const positions = new Map<string, () => { latDeg: number; lonDeg: number }>();
  for (const s of site.speakers) positions.set(s.id, () => s.position);
  for (const d of site.drones) {
    if (!d.speaker) continue;
    positions.set(d.speaker.id, () => {
      const h = opts.drones.get(d.id);
      // A drone that is not simulated is parked on its dock.
      if (!h) return { latDeg: d.dock.latDeg, lonDeg: d.dock.lonDeg };
      const st = h.state();
      return { latDeg: st.latDeg, lonDeg: st.lonDeg };
    });
  }
  // allSettled, not all: every speaker that did connect must be in `into` to be closed.
  const results = await Promise.allSettled(
    ids.map(async (id) => {
      const secret = opts.secrets.devices[id];
      if (secret === undefined) throw new Error(`speaker ${id}: no secret in the secrets file`);
      const h = await startSimSpeaker({
        id,
        mqttUrl: opts.mqttUrl,
        secret,
        speed: opts.speed,
        clips,
        position: positions.get(id)!,
        telemetryIntervalS: opts.telemetryIntervalS,
        wav,
      });
      into.set(id, h);
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  if (ids.length) opts.log(`${ids.length} speakers online: ${ids.join(' ')}`);
}

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { common } from 'node-mavlink';
import { MavlinkLink, ReconnectingTcpDuplex, signingTimestamp } from '../../mavlink/index.ts';
import { inPrivateNetns } from '../field/targets.ts';

const bin = process.env['RINGWATCH_SITL_ARDUCOPTER'];
const defaults = process.env['RINGWATCH_SITL_DEFAULTS'];

/** Why the tests against ArduCopter SITL cannot run here; undefined when they can. */
export const SITL_SKIP_REASON: string | undefined = !bin || !existsSync(bin)
  ? 'RINGWATCH_SITL_ARDUCOPTER does not name an arducopter SITL binary'
  : !defaults || !existsSync(defaults)
    ? 'RINGWATCH_SITL_DEFAULTS does not name the copter defaults file'
    : !inPrivateNetns()
      ? 'not in a private network namespace (SITL binds all interfaces)'
      : undefined;

/**
 * Starts ArduCopter SITL in `cwd` (its eeprom and logs go there) at the demo dock, with
 * channel 0 on TCP 5760 (ArduPilot's trusted channel: the key goes in there) and channel
 * 1 on 5761 (signing required once a key is set). `extraDefaults` are parameter files
 * read after the copter defaults. In its own process group: stopArducopterSitl ends it
 * with whatever it started.
 */
export function startArducopterSitl(cwd: string, extraDefaults: string[] = []): ChildProcess {
  if (SITL_SKIP_REASON) throw new Error(SITL_SKIP_REASON);
  return spawn(bin!, ['--model', '+', '--speedup', '1', '--defaults', [defaults!, ...extraDefaults].join(','), '--home', '30.2705,120.065,12,0', '-I0', '--serial0', 'tcp:0', '--serial1', 'tcp:1'], {
    cwd,
    stdio: 'ignore',
    detached: true,
  });
}

export function stopArducopterSitl(sitl: ChildProcess | undefined): void {
  if (sitl?.pid) process.kill(-sitl.pid, 'SIGTERM');
}

/**
 * Opens SITL's channel 0 (TCP 5760) as a ground station of its own (system 255), waits for
 * its first frame and installs `key` with SETUP_SIGNING, which ArduPilot accepts unsigned
 * only there. Not a HEARTBEAT: this link never counts as the GCS. Returns the link, still
 * open, for a caller that watches channel 0 (close it when done).
 */
export async function installSitlSigningKey(key: Buffer): Promise<MavlinkLink> {
  const ch0 = new MavlinkLink(new ReconnectingTcpDuplex({ host: '127.0.0.1', port: 5760, reconnectDelayMs: 250 }), { systemId: 255, componentId: 190 });
  await new Promise<void>((resolve) => ch0.once('message', () => resolve()));
  const setup = new common.SetupSigning();
  setup.targetSystem = 1;
  setup.targetComponent = 1;
  setup.secretKey = [...key];
  setup.initialTimestamp = BigInt(signingTimestamp(Date.now()));
  ch0.send(setup);
  // ArduPilot writes the key to its storage before it checks frames with it.
  await new Promise((r) => setTimeout(r, 1000));
  return ch0;
}

/**
 * The SITL vehicle as a site drone: system 1 at the dock SITL starts at, reached on
 * channel 1 (TCP 5761), its frames signed with the key named `k` when `signed`.
 */
export function sitlDrone(signed: boolean) {
  return {
    id: 'drone-1',
    name: 'SITL',
    dock: { latDeg: 30.2705, lonDeg: 120.065, altitudeAmslM: 12 },
    cruiseSpeedMps: 10,
    maxSpeedMps: 12,
    enduranceS: 1200,
    mavlink: { url: 'tcp://127.0.0.1:5761', systemId: 1, autopilot: 'ardupilot' as const, ...(signed ? { signing: { keyId: 'k' } } : {}) },
  };
}

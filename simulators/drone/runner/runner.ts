import type { Duplex } from 'node:stream';
import { MavlinkLink } from '../../../mavlink/link.ts';
import { FrameSigner } from '../../../mavlink/signing.ts';
import { SimVehicle, type VehicleOptions } from '../model/vehicle.ts';
import { DEFAULT_TRANSFER_TIMEOUTS } from '../transfer/mission-transfer.ts';
import type { DroneFault, SimDroneState } from '../types.ts';
import { scheduler } from './scheduler.ts';

/** Telemetry is skipped (as ArduPilot skips when txspace is short) once this much is queued on a link. */
const MAX_QUEUED_BYTES = 256 * 1024;

export interface SimLinkOptions {
  /**
   * The drone's 32-byte MAVLink 2 signing key. With one the vehicle behaves as ArduPilot
   * does once SETUP_SIGNING has installed a key: it signs everything it sends (link id =
   * its channel number) and drops unsigned or wrongly signed frames and replays.
   */
  signingKey?: Buffer;
  /** Where refused frames are logged (rate-limited); default nowhere. */
  log?: (line: string) => void;
}

interface Attached {
  link: MavlinkLink;
  stream: Duplex;
  ch: number;
}

/**
 * Drives one SimVehicle in real time scaled by `speed`, over any number of Duplex links
 * (the UDP socket, each TCP client, an in-memory pair). Thin on purpose: all behaviour
 * lives in the model.
 */
export class SimDroneRunner {
  readonly vehicle: SimVehicle;
  private readonly links = new Set<Attached>();
  private readonly t0 = performance.now();
  private readonly stop: () => void;
  private closed = false;

  constructor(
    opts: VehicleOptions,
    private readonly speed = 1,
    private readonly linkOpts: SimLinkOptions = {},
  ) {
    if (!(speed > 0)) throw new Error(`sim drone ${opts.drone.id}: speed must be > 0, got ${speed}`);
    // The mission protocol's timeouts are between two radios: a GCS does not answer
    // faster because the simulated physics runs faster. The vehicle model counts simulated
    // ms, so they are stretched by `speed` to stay ArduPilot's 8 s of wall time, as on a
    // real vehicle. (ArduPilot SITL under --speedup does shrink them; `speed` here exists
    // to compress flights for demos and tests, not to model a faster link.) Unscaled, the
    // upload timeout was 0.4 s at speed 20, and a ground station answering late on a
    // loaded machine got MISSION_ACK OPERATION_CANCELLED where a vehicle would have waited.
    const t = { ...DEFAULT_TRANSFER_TIMEOUTS, ...opts.missionTimeouts };
    this.vehicle = new SimVehicle({ ...opts, missionTimeouts: { requestResendMs: t.requestResendMs * speed, uploadTimeoutMs: t.uploadTimeoutMs * speed } });
    this.stop = scheduler.add((now) => this.tick(now));
  }

  /** Simulated ms since boot. */
  simNowMs(realNowMs = performance.now()): number {
    return (realNowMs - this.t0) * this.speed;
  }

  attach(stream: Duplex): void {
    if (this.closed) {
      stream.destroy();
      return;
    }
    const ch = this.vehicle.openChannel();
    const key = this.linkOpts.signingKey;
    const link = new MavlinkLink(stream, { systemId: this.vehicle.systemId, componentId: 1 }, {
      ...(key ? { security: { keyOf: () => key }, signer: new FrameSigner({ key, linkId: ch & 0xff }) } : {}),
      ...(this.linkOpts.log ? { log: this.linkOpts.log } : {}),
      name: `sim ${this.vehicle.systemId} channel ${ch}`,
    });
    const a: Attached = { link, stream, ch };
    this.links.add(a);
    link.on('message', (m) => {
      this.vehicle.receive(a.ch, m, this.simNowMs());
      this.flush(a, false);
    });
    link.on('error', () => {
      // transport errors end in 'close'; a vehicle does not crash over a bad link
    });
    link.on('close', () => {
      this.links.delete(a);
      this.vehicle.closeChannel(a.ch);
    });
  }

  private tick(realNowMs: number): void {
    this.vehicle.advance(this.simNowMs(realNowMs));
    for (const a of this.links) this.flush(a, true);
  }

  private flush(a: Attached, telemetry: boolean): void {
    const msgs = this.vehicle.takeOutbox(a.ch);
    if (msgs.length === 0) return;
    if (telemetry && a.stream.writableLength > MAX_QUEUED_BYTES) return;
    a.link.sendMany(msgs);
  }

  state(): SimDroneState {
    this.vehicle.advance(this.simNowMs());
    return this.vehicle.state();
  }

  injectFault(f: DroneFault): void {
    this.vehicle.advance(this.simNowMs());
    this.vehicle.injectFault(f);
  }

  clearFaults(): void {
    this.vehicle.clearFaults();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stop();
    for (const a of this.links) a.link.close();
    this.links.clear();
  }
}

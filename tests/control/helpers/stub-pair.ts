import { afterEach } from 'vitest';
import { DroneCommands } from '../../../control/commands/drone-commands.ts';
import { Ledger } from '../../../control/ledger/ledger.ts';
import { GroundLink } from '../../../control/mavlink/ground-link.ts';
import { FAST_TIMEOUTS, systemClock, type ControlTimeouts } from '../../../control/timeouts.ts';
import type { Vehicle } from '../../../control/vehicle/vehicle.ts';
import { until } from '../../helpers/wait.ts';
import { duplexPair, StubVehicle } from './stub-vehicle.ts';

export interface StubPair {
  gl: GroundLink;
  v: Vehicle;
  stub: StubVehicle;
}

export interface StubPairOptions {
  /** MAV_AUTOPILOT the stub announces; the stub's own default when absent. */
  autopilot?: number;
  timeouts?: ControlTimeouts;
  /** The stub's loss PRNG seed. */
  seed?: number;
}

export interface OpenStubPair {
  (o?: StubPairOptions): Promise<StubPair>;
  /** Closes a link and stub the test wired by hand along with the rest. */
  adopt(p: Pick<StubPair, 'gl' | 'stub'>): void;
}

/**
 * Registers an `afterEach` that closes every pair the test opened, and returns the
 * opener: a GroundLink and a scripted StubVehicle (drone-1, system 1) over an in-memory
 * duplex pair, resolved once the vehicle has come online.
 */
export function useStubPairs(): OpenStubPair {
  let open: Pick<StubPair, 'gl' | 'stub'>[] = [];
  afterEach(() => {
    for (const p of open) {
      p.gl.close();
      p.stub.close();
    }
    open = [];
  });
  const openPair = async (o: StubPairOptions = {}): Promise<StubPair> => {
    const [a, b] = duplexPair();
    const gl = new GroundLink(a, { endpointUrl: 'test://pair', vehicles: [{ droneId: 'drone-1', systemId: 1 }], timeouts: o.timeouts ?? FAST_TIMEOUTS, clock: systemClock });
    const stub = new StubVehicle(b, 1, o.seed ?? 1);
    if (o.autopilot !== undefined) stub.autopilot = o.autopilot;
    const v = gl.vehicles.get(1)!;
    open.push({ gl, stub });
    const online = new Promise<void>((r) => v.once('online', () => r()));
    stub.heartbeat();
    await online;
    return { gl, v, stub };
  };
  return Object.assign(openPair, { adopt: (p: Pick<StubPair, 'gl' | 'stub'>) => void open.push(p) });
}

/** ArduCopter custom_mode AUTO. */
const ARDUCOPTER_AUTO = 3;

/** The stub armed in AUTO at `relAltM`, streaming telemetry, once the vehicle has seen it flying. */
export async function flyingInAuto({ v, stub }: StubPair, relAltM: number): Promise<void> {
  stub.state.relAltM = relAltM;
  stub.customMode = ARDUCOPTER_AUTO;
  stub.armed = true;
  stub.heartbeat();
  stub.streamTelemetry();
  await until(() => v.telemetryState.armed === true && v.telemetryState.relAltMm === relAltM * 1000, 'flying', 5000, 10);
}

/** A fresh ledger and the drone commands for this one vehicle as drone-1. */
export function commandsFor(v: Vehicle): { ledger: Ledger; drones: DroneCommands } {
  const ledger = new Ledger(systemClock);
  return { ledger, drones: new DroneCommands(ledger, new Map([['drone-1', v]])) };
}

import { describe, expect, it } from 'vitest';
import { common, type MavLinkData } from 'node-mavlink';
import { SimVehicle } from '../../simulators/drone/index.ts';
import { commandInt, commandLong, demoDrones, offsetDeg } from '../helpers/sim-drone.ts';
import type { VehicleOptions } from '../../simulators/drone/model/vehicle.ts';

const C = common.MavCmd;
const drone = demoDrones()[0]!;
const STEP_MS = 100;

/** The pure model on a hand-driven clock: no sockets, no timers. */
function model(opts: Partial<VehicleOptions> = {}) {
  const v = new SimVehicle({ drone, prearmDelayS: 0, ...opts });
  const ch = v.openChannel();
  let now = 0;
  const out: MavLinkData[] = [];
  const send = (data: MavLinkData) => {
    v.receive(ch, { sysid: 255, compid: 190, msgid: (data.constructor as unknown as { MSG_ID: number }).MSG_ID, seq: 0, data }, now);
    out.push(...v.takeOutbox(ch));
  };
  const cmd = (command: number, params: number[] = []) => send(commandLong(v.systemId, command, params));
  // DO_REPOSITION is COMMAND_INT only on ArduCopter 4.7 (UNSUPPORTED over COMMAND_LONG).
  const cmdInt = (command: number, params: number[] = []) => send(commandInt(v.systemId, command, params));
  /** Runs for `s` simulated seconds, sampling the truth state every STEP_MS. */
  const run = (s: number, sample?: (st: ReturnType<SimVehicle['state']>, tMs: number) => void) => {
    for (let t = 0; t < s * 1000; t += STEP_MS) {
      now += STEP_MS;
      v.advance(now);
      out.push(...v.takeOutbox(ch));
      sample?.(v.state(), now);
    }
  };
  const acks = () => out.filter((m): m is common.CommandAck => m instanceof common.CommandAck);
  return { v, cmd, cmdInt, run, out, acks, send };
}

describe('sim drone model (pure, injected clock)', () => {
  it('keeps to its speed, climb and acceleration limits', () => {
    const { cmd, cmdInt, run, acks } = model({ gpsNoiseM: 0 });
    cmd(C.DO_SET_MODE, [1, 4]);
    cmd(C.COMPONENT_ARM_DISARM, [1]);
    cmd(C.NAV_TAKEOFF, [0, 0, 0, 0, 0, 0, 30]);
    let maxClimb = 0;
    let prevAlt = 0;
    run(20, (s) => {
      maxClimb = Math.max(maxClimb, (s.altRelM - prevAlt) / (STEP_MS / 1000));
      prevAlt = s.altRelM;
    });
    expect(maxClimb).toBeLessThanOrEqual(2.5 + 1e-6); // WPNAV_SPEED_UP
    expect(prevAlt).toBeGreaterThan(29);
    const far = offsetDeg(drone.dock, 1000, 0);
    cmdInt(C.DO_REPOSITION, [-1, 0, 0, 0, far.latDeg, far.lonDeg, 30]);
    expect(acks().every((a) => a.result === common.MavResult.ACCEPTED)).toBe(true);
    let maxSpeed = 0;
    let maxAccel = 0;
    let prev = 0;
    run(40, (s) => {
      maxSpeed = Math.max(maxSpeed, s.groundSpeedMps);
      maxAccel = Math.max(maxAccel, (s.groundSpeedMps - prev) / (STEP_MS / 1000));
      prev = s.groundSpeedMps;
    });
    // GUIDED flies WPNAV_SPEED (10 m/s), not the site's cruise speed, until told otherwise.
    expect(maxSpeed).toBeLessThanOrEqual(10 + 1e-6);
    expect(maxSpeed).toBeGreaterThan(10 - 0.5);
    expect(maxAccel).toBeLessThanOrEqual(2.5 + 1e-6); // WPNAV_ACCEL
  });

  it('turns at a limited rate rather than snapping onto a new course', () => {
    const { cmd, cmdInt, run } = model({ gpsNoiseM: 0 });
    cmd(C.DO_SET_MODE, [1, 4]);
    cmd(C.COMPONENT_ARM_DISARM, [1]);
    cmd(C.NAV_TAKEOFF, [0, 0, 0, 0, 0, 0, 20]);
    run(12);
    const east = offsetDeg(drone.dock, 0, 2000);
    cmdInt(C.DO_REPOSITION, [-1, 0, 0, 0, east.latDeg, east.lonDeg, 20]);
    run(15);
    const north = offsetDeg(drone.dock, 2000, 200);
    cmdInt(C.DO_REPOSITION, [-1, 0, 0, 0, north.latDeg, north.lonDeg, 20]);
    const headings: number[] = [];
    run(3, (s) => headings.push(s.headingDeg));
    const steps = headings.slice(1).map((h, i) => Math.abs(((h - headings[i]! + 540) % 360) - 180));
    expect(Math.max(...steps)).toBeLessThanOrEqual(9 + 1e-6); // 90 deg/s × 0.1 s
    expect(headings.at(-1)!).toBeLessThan(80); // and it did come round towards north
  });

  it('drains the battery by hover and airspeed so cruise lasts the site endurance', () => {
    const hover = model({ gpsNoiseM: 0, batteryEnduranceS: 'site' });
    hover.cmd(C.DO_SET_MODE, [1, 4]);
    hover.cmd(C.COMPONENT_ARM_DISARM, [1]);
    hover.cmd(C.NAV_TAKEOFF, [0, 0, 0, 0, 0, 0, 10]);
    hover.run(10);
    const start = hover.v.state().batteryPct;
    hover.run(60);
    const hoverPerMin = start - hover.v.state().batteryPct;
    expect(hoverPerMin).toBeCloseTo((0.75 * 100 * 60) / drone.enduranceS, 1);

    const cruise = model({ gpsNoiseM: 0, batteryEnduranceS: 'site' });
    cruise.cmd(C.DO_SET_MODE, [1, 4]);
    cruise.cmd(C.COMPONENT_ARM_DISARM, [1]);
    cruise.cmd(C.NAV_TAKEOFF, [0, 0, 0, 0, 0, 0, 10]);
    cruise.run(10);
    const far = offsetDeg(drone.dock, 5000, 0);
    cruise.cmdInt(C.DO_REPOSITION, [-1, 0, 0, 0, far.latDeg, far.lonDeg, 10]);
    cruise.cmd(C.DO_CHANGE_SPEED, [1, drone.cruiseSpeedMps]);
    cruise.run(10);
    const s0 = cruise.v.state().batteryPct;
    cruise.run(60);
    const cruisePerMin = s0 - cruise.v.state().batteryPct;
    expect(cruisePerMin).toBeCloseTo((100 * 60) / drone.enduranceS, 1);
    expect(cruisePerMin).toBeGreaterThan(hoverPerMin);
  });

  it('charges on its dock only while landed and disarmed there, and not at all without a dock', () => {
    const docked = model({ gpsNoiseM: 0, initialBatteryPct: 40, dockChargePctPerMin: 2.2 });
    docked.run(60);
    expect(docked.v.state().batteryPct).toBeCloseTo(42.2, 1);
    // Flown 300 m away and landed there: no pad under it, so no charge.
    docked.cmd(C.DO_SET_MODE, [1, 4]);
    docked.cmd(C.COMPONENT_ARM_DISARM, [1]);
    docked.cmd(C.NAV_TAKEOFF, [0, 0, 0, 0, 0, 0, 10]);
    docked.run(10);
    const field = offsetDeg(drone.dock, 300, 0);
    docked.cmdInt(C.DO_REPOSITION, [-1, 1, 0, 0, field.latDeg, field.lonDeg, 10]);
    docked.run(60);
    docked.cmd(C.NAV_LAND);
    docked.run(60);
    expect(docked.v.state().armed).toBe(false);
    const landedAway = docked.v.state().batteryPct;
    docked.run(60);
    expect(docked.v.state().batteryPct).toBe(landedAway);

    const noDock = model({ gpsNoiseM: 0, initialBatteryPct: 40 });
    noDock.run(60);
    expect(noDock.v.state().batteryPct).toBe(40);
  });

  it('reports airspeed against the wind and a noisy but bounded GPS; same seed, same noise', () => {
    const run = (seed: number) => {
      const m = model({ seed, gpsNoiseM: 1, wind: { speedMps: 5, towardDeg: 90 } });
      m.cmd(C.SET_MESSAGE_INTERVAL, [common.GlobalPositionInt.MSG_ID, 1_000_000]);
      m.cmd(C.SET_MESSAGE_INTERVAL, [common.VfrHud.MSG_ID, 1_000_000]);
      m.cmd(C.DO_SET_MODE, [1, 4]);
      m.cmd(C.COMPONENT_ARM_DISARM, [1]);
      m.cmd(C.NAV_TAKEOFF, [0, 0, 0, 0, 0, 0, 10]);
      m.run(120);
      return m.out;
    };
    const a = run(7);
    const lats = a.filter((m): m is common.GlobalPositionInt => m instanceof common.GlobalPositionInt).map((g) => g.lat / 1e7);
    const errs = lats.map((lat) => Math.abs(lat - drone.dock.latDeg) * 111_320);
    expect(Math.max(...errs)).toBeGreaterThan(0.05); // there is noise
    expect(Math.max(...errs)).toBeLessThan(6); // but it is GPS noise, not a random walk away
    const hud = a.filter((m): m is common.VfrHud => m instanceof common.VfrHud).at(-1)!;
    expect(hud.groundspeed).toBeLessThan(0.5); // holding position
    expect(hud.airspeed).toBeGreaterThan(4); // into a 5 m/s wind
    const b = run(7);
    const latsB = b.filter((m): m is common.GlobalPositionInt => m instanceof common.GlobalPositionInt).map((g) => g.lat / 1e7);
    expect(latsB).toEqual(lats);
    const c = run(8);
    const latsC = c.filter((m): m is common.GlobalPositionInt => m instanceof common.GlobalPositionInt).map((g) => g.lat / 1e7);
    expect(latsC).not.toEqual(lats);
  });

  it('disarms by itself when armed on the ground without taking off (DISARM_DELAY)', () => {
    const { cmd, run, v } = model({ autoDisarmS: 10 });
    cmd(C.DO_SET_MODE, [1, 4]);
    cmd(C.COMPONENT_ARM_DISARM, [1]);
    run(9);
    expect(v.state().armed).toBe(true);
    run(2);
    expect(v.state().armed).toBe(false);
  });
});

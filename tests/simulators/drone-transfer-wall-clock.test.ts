import { describe, expect, it } from 'vitest';
import { common } from 'node-mavlink';
import { demoDrones, missionCount, missionItem, offsetDeg, useInMemoryVehicles } from '../helpers/sim-drone.ts';

const C = common.MavCmd;
const MR = common.MavMissionResult;
const drone = demoDrones()[0]!;
const home = drone.dock;

/**
 * The mission protocol's timeouts are between two radios, in wall time: a ground station
 * on a loaded machine that answers a MISSION_REQUEST 1.5 s late is well inside ArduPilot's
 * 8 s upload timeout however fast the simulated physics runs.
 */
describe('sim drone: mission upload timeouts in wall time at any speed', () => {
  const vehicle = useInMemoryVehicles({ drone, prearmDelayS: 0 });

  it('accepts an upload whose items come 1.5 s apart at speed 20', async () => {
    const v = vehicle({ speed: 20, missionRequestStyle: 'int' });
    const { gcs } = v;
    const items = [
      missionItem(0, C.NAV_WAYPOINT, { ...home, frame: common.MavFrame.GLOBAL }),
      missionItem(1, C.NAV_TAKEOFF, { alt: 15 }),
      missionItem(2, C.NAV_WAYPOINT, { ...offsetDeg(home, 60, 0), alt: 20 }),
    ];
    const answered = new Set<number>();
    gcs.link.on('message', (m) => {
      if (m.msgid !== common.MissionRequestInt.MSG_ID) return;
      const seq = (m.data as common.MissionRequestInt).seq;
      if (answered.has(seq)) return;
      answered.add(seq);
      // A stalled event loop on the ground: each answer 1.5 s late.
      setTimeout(() => gcs.send(items[seq]!), 1_500);
    });
    const ack = gcs.next(common.MissionAck, () => true, 15_000);
    const count = missionCount(drone.mavlink.systemId, items.length);
    gcs.send(count);
    expect((await ack).type).toBe(MR.ACCEPTED);
    expect(gcs.texts()).not.toContain('Mission upload timeout');
  }, 30_000);
});

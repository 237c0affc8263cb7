import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreeUdpPort } from '../../util/free-port.ts';
import { FieldRun } from './scenario.ts';
import { arducopterSitl, px4Sitl, simTarget, type FieldTarget } from './targets.ts';

/**
 * The field suite (issues 11 and 17): one scenario, run against real ArduCopter SITL and
 * PX4 SITL when their binaries are named in the environment (inside a private network
 * namespace: `npm run test:field`), and always against the project's simulator as
 * ArduCopter and as PX4. See tests/field/README.md.
 */
const targets: FieldTarget[] = [simTarget('ardupilot', findFreeUdpPort), simTarget('px4', findFreeUdpPort), arducopterSitl(), px4Sitl()];

for (const target of targets) {
  if (target.skipReason) {
    describe(target.name, () => it.skip(`skipped: ${target.skipReason}`, () => undefined));
    continue;
  }
  describe.sequential(target.name, () => {
    const run = new FieldRun(target);
    /** Wall timeout for a step worth `s` vehicle seconds, with room for a busy machine. */
    const budget = (s: number) => run.wallMs(s, 0) + 60_000;
    /** Steps after the take-off need the drone in the air; say so instead of timing out. */
    const needAirborne = () => {
      if (!run.airborne) throw new Error('not run: the drone never got airborne (see the earlier failure)');
    };

    beforeAll(async () => {
      await run.start();
    }, 180_000);

    afterAll(async () => {
      if (run.rw) await run.snapshotLedger();
      const file = run.report();
      process.stdout.write(`figures written to ${file}\n`);
      await run.close();
    }, 90_000);

    it('comes online', async () => {
      await run.check('online', () => run.online());
    }, 90_000);

    it('verifies the patrol upload (read back by meaning)', async () => {
      await run.check('startPatrol', () => run.startPatrol());
      const r = await run.check('patrolUpload', () => run.patrolUploadVerified());
      expect(r.state).toBe('succeeded');
    }, budget(180));

    it('verifies the ring fence on the vehicle before arming', async () => {
      await run.check('fence', () => run.fenceVerified());
    }, budget(180));

    it('arms from a cold boot (time to armable recorded)', async () => {
      await run.check('armFromColdBoot', () => run.armFromColdBoot());
      expect(run.figures['timeToArmableS']).toBeTypeOf('number');
    }, budget(200));

    it('takes off', async () => {
      await run.check('takeoff', () => run.takeoff());
    }, budget(200));

    it("flies the AUTO loop inside the ring's altitude band", async () => {
      needAirborne();
      await run.check('autoLoop', () => run.autoLoopInBand());
    }, budget(360));

    it('pause holds altitude without a pilot', async () => {
      needAirborne();
      await run.check('pause', () => run.pauseHoldsAltitude());
    }, budget(120));

    it('dispatch from the air reaches the alarm within the ring target', async () => {
      needAirborne();
      await run.check('dispatch', () => run.dispatchReachesScene());
    }, budget(250));

    it('the on-scene hold keeps altitude', async () => {
      needAirborne();
      await run.check('onSceneHold', () => run.onSceneHoldKeepsAltitude());
    }, budget(120));

    it('RTL lands and disarms at the dock', async () => {
      needAirborne();
      await run.check('rtl', () => run.rtlLandsAtDock());
    }, budget(400));

    it("refuses to arm in RTL on the ground with the autopilot's reason", async () => {
      await run.check('refusal', () => run.refusalCarriesReason());
    }, budget(120));

    it("every arm refusal of the run carried the autopilot's words", async () => {
      await run.check('everyRefusal', () => run.everyRefusalCarriesReason());
    }, 30_000);

    it('never published a position at 0,0', () => {
      run.neverAtNullIsland();
    });
  });
}

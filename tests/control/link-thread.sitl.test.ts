/**
 * The link thread's signed GCS heartbeats against real ArduCopter SITL, with its GCS
 * failsafe on (FS_GCS_ENABLE 1, FS_GCS_TIMEOUT 2 s). ArduPilot counts only HEARTBEATs from
 * MAV_GCS_SYSID (GCS_MAVLINK::handle_heartbeat), and only those its signing check accepts;
 * disarmed, a lapse is announced as the STATUSTEXT "GCS Failsafe" (Copter::announce_failsafe).
 * The key goes in over channel 0 (trusted unsigned), ringwatch speaks on channel 1 (signing
 * required), and channel 0 stays open as a silent observer of STATUSTEXT. Runs when
 * RINGWATCH_SITL_ARDUCOPTER and RINGWATCH_SITL_DEFAULTS are set, in a private network
 * namespace (SITL binds every interface):
 *
 *   unshare -n sh -c 'ip link set lo up && exec npx vitest run tests/control/link-thread.sitl.test.ts'
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { common } from 'node-mavlink';
import type { MavlinkLink } from '../../mavlink/index.ts';
import { startControlService, type ControlService } from '../../control/service.ts';
import { DEFAULT_TIMEOUTS } from '../../control/timeouts.ts';
import { installSitlSigningKey, SITL_SKIP_REASON, sitlDrone, startArducopterSitl, stopArducopterSitl } from '../helpers/arducopter-sitl.ts';
import { until } from '../helpers/wait.ts';

const KEY = Buffer.alloc(32, 0x5c);
/** Longer than FS_GCS_TIMEOUT (2 s) with room to spare. */
const BLOCK_MS = 5000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const blockThisThread = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

const drone = sitlDrone(true);

describe.runIf(!SITL_SKIP_REASON)('link thread against ArduCopter SITL (GCS failsafe on)', () => {
  let sitl: ChildProcess | undefined;
  let dir = '';
  let observer: MavlinkLink | undefined;
  const texts: { text: string; atMs: number }[] = [];
  const failsafesSince = (ms: number) => texts.filter((t) => t.atMs >= ms && t.text === 'GCS Failsafe');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rw-sitl-thread-'));
    const extra = join(dir, 'gcs-failsafe.parm');
    writeFileSync(extra, 'FS_GCS_ENABLE 1\nFS_GCS_TIMEOUT 2\n');
    sitl = startArducopterSitl(dir, [extra]);
    // Channel 0 stays open after the key goes in: a silent observer of STATUSTEXT.
    observer = await installSitlSigningKey(KEY);
    observer.on('message', (m) => {
      if (m.msgid === common.StatusText.MSG_ID) texts.push({ text: (m.data as common.StatusText).text, atMs: Date.now() });
    });
  }, 60_000);

  afterAll(async () => {
    observer?.close();
    stopArducopterSitl(sitl);
    await sleep(500);
    rmSync(dir, { recursive: true, force: true });
  });

  async function connect(linkThread: boolean): Promise<ControlService> {
    const svc = await startControlService({ site: { drones: [drone] }, timeouts: DEFAULT_TIMEOUTS, signingKeys: new Map([['drone-1', KEY]]), linkThread, log: () => undefined });
    const v = svc.vehicle('drone-1');
    await until(() => v.online, 'SITL online', 20_000);
    // Past FS_GCS_TIMEOUT: a failsafe left over from before has cleared, none is pending.
    await sleep(3000);
    return svc;
  }

  it('ArduCopter takes the thread’s heartbeats (signing link 1) and hears them through a 5 s main-thread block', async () => {
    const svc = await connect(true);
    const v = svc.vehicle('drone-1');
    const counters = [...svc.links.values()][0]!.link.counters;
    try {
      const blockedAtMs = Date.now();
      blockThisThread(BLOCK_MS);
      await sleep(3000);
      expect(failsafesSince(blockedAtMs)).toEqual([]);
      expect(v.linkLostCount).toBe(0);
      expect(counters.rejected).toEqual({ wrongPeer: 0, wrongSystem: 0, badSignature: 0, replay: 0, unsigned: 0 });
      // Our signed commands (link 0) still go through beside them.
      expect((await v.action.setMode('GUIDED')).status).toBe('success');
      await v.action.setMode('STABILIZE');
    } finally {
      await svc.close();
    }
    // Silence proves nothing unless ArduPilot was counting them: with the thread gone, it misses them.
    const closedAtMs = Date.now();
    await until(() => failsafesSince(closedAtMs).length > 0, '"GCS Failsafe" once the thread stops', 10_000);
  }, 90_000);

  it('(control) with the links on the main thread, the same block trips the GCS failsafe', async () => {
    const svc = await connect(false);
    try {
      const blockedAtMs = Date.now();
      blockThisThread(BLOCK_MS);
      await until(() => failsafesSince(blockedAtMs).length > 0, '"GCS Failsafe" after the block', 10_000);
    } finally {
      await svc.close();
    }
  }, 90_000);
});

describe.runIf(SITL_SKIP_REASON)('link thread against ArduCopter SITL (GCS failsafe on)', () => {
  it.skip(`skipped: ${SITL_SKIP_REASON}`, () => undefined);
});

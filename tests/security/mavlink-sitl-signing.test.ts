/**
 * MAVLink 2 signing against real ArduCopter SITL: the key installed with SETUP_SIGNING
 * over channel 0 (ArduPilot's trusted channel: USB on a board, --serial0 here), then
 * ringwatch on channel 1, where ArduPilot requires signing. Runs when
 * RINGWATCH_SITL_ARDUCOPTER and RINGWATCH_SITL_DEFAULTS are set, inside a private network
 * namespace (SITL binds every interface):
 *
 *   unshare -n sh -c 'ip link set lo up && exec npx vitest run tests/security/mavlink-sitl-signing.test.ts'
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installSitlSigningKey, SITL_SKIP_REASON, sitlDrone, startArducopterSitl, stopArducopterSitl } from '../helpers/arducopter-sitl.ts';
import { startControlService } from '../../control/service.ts';
import { DEFAULT_TIMEOUTS } from '../../control/timeouts.ts';

const KEY = Buffer.alloc(32, 0xa1);
const WRONG_KEY = Buffer.alloc(32, 0xb2);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


async function connect(key: Buffer | undefined) {
  const svc = await startControlService({
    site: { drones: [sitlDrone(key !== undefined)] },
    timeouts: DEFAULT_TIMEOUTS,
    ...(key ? { signingKeys: new Map([['drone-1', key]]) } : {}),
    log: () => undefined,
  });
  const v = svc.vehicle('drone-1');
  const gl = [...svc.links.values()][0]!;
  return { svc, v, counters: gl.link.counters };
}

async function waitOnline(v: { online: boolean }, ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (!v.online && Date.now() - t0 < ms) await sleep(100);
  return v.online;
}

describe.runIf(!SITL_SKIP_REASON)('MAVLink 2 signing against ArduCopter SITL', () => {
  let sitl: ChildProcess | undefined;
  let dir = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rw-sitl-sign-'));
    sitl = startArducopterSitl(dir);
    const ch0 = await installSitlSigningKey(KEY);
    ch0.close();
  }, 60_000);

  afterAll(async () => {
    stopArducopterSitl(sitl);
    await sleep(500);
    rmSync(dir, { recursive: true, force: true });
  });

  it('flies with the right key: online, our signed SET_MODE accepted, nothing refused', async () => {
    const { svc, v, counters } = await connect(KEY);
    try {
      expect(await waitOnline(v, 10_000)).toBe(true);
      expect((await v.action.setMode('GUIDED')).status).toBe('success');
      expect(counters.rxPackets).toBeGreaterThan(0);
      expect(counters.rejected).toEqual({ wrongPeer: 0, wrongSystem: 0, badSignature: 0, replay: 0, unsigned: 0 });
      await v.action.setMode('STABILIZE');
    } finally {
      await svc.close();
    }
  }, 60_000);

  it('an unsigned ground station is heard but not obeyed', async () => {
    const { svc, v } = await connect(undefined);
    try {
      expect(await waitOnline(v, 10_000)).toBe(true);
      expect((await v.action.setMode('GUIDED')).status).not.toBe('success');
    } finally {
      await svc.close();
    }
  }, 60_000);

  it('with the wrong key every frame of the vehicle is refused as badSignature', async () => {
    const { svc, v, counters } = await connect(WRONG_KEY);
    try {
      expect(await waitOnline(v, 4000)).toBe(false);
      expect(counters.rejected.badSignature).toBeGreaterThan(10);
    } finally {
      await svc.close();
    }
  }, 60_000);
});

describe.runIf(SITL_SKIP_REASON)('MAVLink 2 signing against ArduCopter SITL', () => {
  it.skip(`skipped: ${SITL_SKIP_REASON}`, () => undefined);
});

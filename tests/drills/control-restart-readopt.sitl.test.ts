import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FIELD_DRONE_ID, FIELD_RING_ID, writeFieldSite } from '../field/field-site.ts';
import { arducopterSitl, type AutopilotProcess } from '../field/targets.ts';
import { runCli, type CliProcess } from './drill-helpers.ts';
import { until } from '../helpers/wait.ts';
import { loginApi } from '../helpers/api-client.ts';

/**
 * Issue 15 against the real thing: `ringwatch up` flies the containment patrol on
 * ArduCopter SITL, is killed with SIGKILL while the copter is in AUTO on its mission, and
 * started again on the same data directory. The copter must be re-adopted from the
 * mission ArduCopter returns (re-encoded in its own form), with nothing sent to it but
 * the download. Needs $RINGWATCH_SITL_ARDUCOPTER and $RINGWATCH_SITL_DEFAULTS and a
 * private network namespace (`unshare -n`), as `npm run test:field`; skipped otherwise.
 */
const target = arducopterSitl();
const dir = mkdtempSync(join(tmpdir(), 'rw-readopt-sitl-'));
const FLIGHT_KINDS = new Set(['plan_upload', 'fence_enable', 'set_mode', 'arm', 'takeoff', 'mission_start', 'rtl', 'land', 'goto']);

interface Up {
  cli: CliProcess;
  api<T>(path: string, init?: { method?: string; body?: unknown }): Promise<T>;
}
interface Sortie {
  droneId: string;
  slot: number;
  launchAtMs: number;
  status: string;
  commandIds: string[];
  note?: string;
  failure?: string;
}
interface Ring {
  ringId: string;
  active: boolean;
  sorties: Sortie[];
}
interface Drone {
  id: string;
  link: string;
  task?: { kind: string; ringId?: string };
  telemetry?: { armed: boolean; altRelM: number; mode: string };
}

let autopilot: AutopilotProcess | undefined;
const running: CliProcess[] = [];

async function up(siteFile: string, secretsFile: string): Promise<Up> {
  const cli = runCli(['up', '--site', siteFile, '--secrets', secretsFile, '--data-dir', join(dir, 'data'), '--http-port', '0', '--mqtt-port', '0', '--ws-port', '0', '--metrics-port', 'off']);
  running.push(cli);
  const apiUrl = (await cli.waitFor(/map\s+(http:\/\/\S+)/, 120_000))[1]!;
  const secrets = parse(readFileSync(secretsFile, 'utf8')) as { users: Record<string, string> };
  const api = await loginApi(apiUrl, 'operator', secrets.users['operator']!);
  return { cli, api };
}

afterAll(async () => {
  for (const c of running) await c.stop('SIGINT', 30_000);
  await autopilot?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(target.skipReason !== undefined)('drill: ringwatch up kill -9 with ArduCopter SITL in AUTO', () => {
  it('re-adopts the copter from its read-back mission and sends it nothing', async () => {
    const field = writeFieldSite(dir, { url: await target.mavlinkUrl(), systemId: target.systemId, autopilot: target.autopilot });
    autopilot = await target.startAutopilot(field.dock, dir);
    const first = await up(field.siteFile, field.secretsFile);
    const drone = async (a: Up) => (await a.api<Drone[]>('/api/drones')).find((d) => d.id === FIELD_DRONE_ID)!;
    const sortie = async (a: Up) => (await a.api<Ring[]>('/api/patrols')).find((r) => r.ringId === FIELD_RING_ID)!.sorties.find((s) => s.droneId === FIELD_DRONE_ID && s.status !== 'scheduled');
    await until(async () => (await drone(first)).link === 'ok' && (await drone(first)).telemetry !== undefined, 'the copter online', 90_000, 500);
    await first.api('/api/patrols/start', { method: 'POST', body: { ringIds: [FIELD_RING_ID] } });
    await until(
      async () => {
        const s = await sortie(first);
        if (s?.status === 'failed') throw new Error(`sortie failed: ${s.failure}`);
        const t = (await drone(first)).telemetry;
        return s?.status === 'flying' && !!t?.armed && t.mode === 'AUTO' && t.altRelM > 10;
      },
      'the copter in AUTO above 10 m on its sortie',
      (300 * 1000) / target.speed + 60_000,
      500,
    );
    const before = (await sortie(first))!;
    const killed = await first.cli.stop('SIGKILL', 5_000);
    expect(killed.signal).toBe('SIGKILL');

    const second = await up(field.siteFile, field.secretsFile);
    const restartedAtMs = Date.now();
    await until(
      async () => {
        const s = await sortie(second);
        return s?.status === 'flying' && s.note === undefined;
      },
      're-adoption of the copter',
      120_000,
      500,
    );
    const readoptS = (Date.now() - restartedAtMs) / 1000;
    const after = (await sortie(second))!;
    expect(after.commandIds).toEqual(before.commandIds);
    expect((await drone(second)).task).toEqual({ kind: 'patrol', ringId: FIELD_RING_ID });
    const t = (await drone(second)).telemetry!;
    expect(t.mode).toBe('AUTO');
    expect(t.armed).toBe(true);
    const records = await second.api<{ id: string; kind: string }[]>(`/api/ledger?target=${FIELD_DRONE_ID}`);
    const fresh = records.filter((r) => !before.commandIds.includes(r.id) && FLIGHT_KINDS.has(r.kind));
    expect(fresh.map((r) => r.kind)).toEqual([]);
    console.info(`drill control restart (ArduCopter SITL x${target.speed}): re-adopted ${readoptS.toFixed(1)} s after ringwatch up came back; 0 flight commands; mode ${t.mode} at ${t.altRelM.toFixed(1)} m`);
  }, 900_000);
});

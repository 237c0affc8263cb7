import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { loginApi } from '../helpers/api-client.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

/** One telemetry sample as published on MQTT, stamped with the wall time it arrived. */
export interface Sample {
  wallMs: number;
  latDeg: number;
  lonDeg: number;
  altRelM: number;
  groundSpeedMps: number;
  mode: string;
  armed: boolean;
  gpsFix: number;
  batteryPct: number;
  missionSeq?: number;
}

export interface DroneEventSeen {
  wallMs: number;
  type: string;
  text?: string;
}

export interface LedgerTransition {
  state: string;
  tsMs: number;
  detail?: string;
}
export interface LedgerRecord {
  id: string;
  kind: string;
  payload: Record<string, unknown>;
  state: string;
  createdMs: number;
  updatedMs: number;
  transitions: LedgerTransition[];
}

export interface RingwatchUp {
  apiUrl: string;
  mqttUrl: string;
  /** Everything ringwatch printed (for failure messages). */
  output(): string;
  /** With the sim: wall time the simulated drone booted (from ringwatch's log). */
  simStartedWallMs(): number | undefined;
  /** Calls the HTTP API as the logged-in operator; throws with status and body on an error status. */
  api<T>(path: string, init?: { method?: string; body?: unknown }): Promise<T>;
  samples: Sample[];
  events: DroneEventSeen[];
  close(): Promise<void>;
}

/**
 * Runs the product as an operator does — `ringwatch up --site FILE` (plus the simulated
 * fleet for the sim targets) as a child process — and reaches it only through what an
 * operator or a device reaches: the HTTP API with a login, and MQTT as the web service
 * (telemetry and drone events of the one field drone).
 */
export async function startRingwatchUp(o: {
  siteFile: string;
  secretsFile: string;
  dataDir: string;
  droneId: string;
  /** Run the site's simulated drone at this time acceleration (omit for a real autopilot). */
  simSpeed?: number;
  startTimeoutMs?: number;
}): Promise<RingwatchUp> {
  const args = ['bin/ringwatch.js', 'up', '--site', o.siteFile, '--secrets', o.secretsFile, '--data-dir', o.dataDir, '--http-port', '0', '--mqtt-port', '0', '--ws-port', '0', '--log-level', 'info'];
  if (o.simSpeed !== undefined) args.push('--sim', '--no-patrol', '--speed', String(o.simSpeed));
  const proc: ChildProcess = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let simStartedWallMs: number | undefined;
  const keep = (b: Buffer) => {
    out += b.toString();
    if (simStartedWallMs === undefined) {
      // pino's line for the simulated fleet carries the time the sim drone booted.
      const sim = /"time":(\d+),[^\n]*"msg":"simulators: /.exec(out);
      if (sim) simStartedWallMs = Number(sim[1]);
    }
    if (out.length > 400_000) out = out.slice(-200_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGINT');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  let client: MqttClient | undefined;
  try {
    const { apiUrl, mqttUrl } = await new Promise<{ apiUrl: string; mqttUrl: string }>((resolve, reject) => {
      const timeoutMs = o.startTimeoutMs ?? 90_000;
      const timer = setTimeout(() => reject(new Error(`ringwatch up did not come up within ${timeoutMs} ms:\n${out}`)), timeoutMs);
      const check = () => {
        const m = /map\s+(http:\/\/\S+)/.exec(out);
        const q = /MQTT\s+(mqtt:\/\/\S+)/.exec(out);
        if (m && q) {
          clearTimeout(timer);
          resolve({ apiUrl: m[1]!, mqttUrl: q[1]! });
        }
      };
      proc.stdout!.on('data', check);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`ringwatch up exited with ${code}:\n${out}`));
      });
    });
    const secrets = parse(readFileSync(o.secretsFile, 'utf8')) as { users: Record<string, string>; services: Record<string, string> };
    const api = await loginApi(apiUrl, 'operator', secrets.users['operator']!);

    const samples: Sample[] = [];
    const events: DroneEventSeen[] = [];
    client = await mqtt.connectAsync(mqttUrl, { username: 'web', password: secrets.services['web']!, clientId: `web:field-${process.pid}` });
    const base = `ringwatch/v1/drone/${o.droneId}/`;
    client.on('message', (topic, payload) => {
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(payload.toString()) as Record<string, unknown>;
      } catch {
        return;
      }
      if (topic === base + 'telemetry') samples.push({ ...(m as unknown as Sample), wallMs: Date.now() });
      else if (topic === base + 'event') events.push({ wallMs: Date.now(), type: String(m['type']), ...(typeof m['text'] === 'string' ? { text: m['text'] } : {}) });
    });
    await client.subscribeAsync([base + 'telemetry', base + 'event'], { qos: 0 });
    const mq = client;
    return {
      apiUrl,
      mqttUrl,
      output: () => out,
      simStartedWallMs: () => simStartedWallMs,
      api,
      samples,
      events,
      async close() {
        await mq.endAsync().catch(() => undefined);
        await stop();
      },
    };
  } catch (err) {
    await client?.endAsync().catch(() => undefined);
    await stop();
    throw err;
  }
}

export const dataDirIn = (dir: string): string => join(dir, 'data');

import { afterEach, describe, expect, it } from 'vitest';
import { Ledger } from '../../control/ledger/ledger.ts';
import type { Bus } from '../../control/mqtt/bus.ts';
import { DeviceCommands } from '../../control/mqtt/device-commands.ts';
import { BroadcastService } from '../../control/ops/broadcast-service.ts';
import { WarningLibrary } from '../../control/ops/warning-library.ts';
import { retryDecision, DEFAULT_PLAY_RETRY } from '../../control/broadcast/retry.ts';
import type { LedgerRecord, LedgerState } from '../../control/ledger/machine.ts';
import { demoSite } from '../helpers/broker.ts';
import { eventually } from '../helpers/wait.ts';

const clock = { nowMs: () => Date.now() };

/** An in-memory broker link that can drop and come back; speakers answer through `ack`. */
class FakeBus implements Bus {
  connected = true;
  readonly sent: { topic: string; body: { id: string; expiresAtMs?: number } }[] = [];
  private handlers: ((topic: string, payload: Buffer) => void)[] = [];
  private reconnectFns: (() => void)[] = [];
  onCmd: (speakerId: string, cmd: { id: string }, attempt: number) => void = () => undefined;
  publish(topic: string, payload: string): void {
    if (!topic.endsWith('/cmd')) return;
    const body = JSON.parse(payload) as { id: string };
    this.sent.push({ topic, body });
    const speakerId = topic.split('/')[3]!;
    const attempt = this.sent.filter((s) => s.topic === topic).length;
    this.onCmd(speakerId, body, attempt);
  }
  async subscribe(_filter: string, fn: (topic: string, payload: Buffer) => void): Promise<void> {
    this.handlers.push(fn);
  }
  onReconnect(fn: () => void): void {
    this.reconnectFns.push(fn);
  }
  reconnect(): void {
    this.connected = true;
    for (const f of this.reconnectFns) f();
  }
  ack(speakerId: string, id: string, state: string): void {
    const topic = `ringwatch/v1/speaker/${speakerId}/ack`;
    for (const h of this.handlers) h(topic, Buffer.from(JSON.stringify({ id, tsMs: Date.now(), state })));
  }
}

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

function rig(o: { ackMs: number; ttlMs: number; completionMs?: number; retry?: { maxAttempts?: number; minRemainingMs?: number } }) {
  const { site } = demoSite();
  const bus = new FakeBus();
  const ledger = new Ledger(clock);
  const devices = new DeviceCommands(bus, ledger, clock, { deviceAckMs: o.ackMs, deviceCompletionMs: o.completionMs ?? 5_000 });
  void devices.start();
  const service = new BroadcastService({
    site,
    bus,
    devices,
    ledger,
    warnings: new WarningLibrary(site.warnings),
    clock,
    droneSpeakerPositions: () => new Map(),
    commandTtlMs: o.ttlMs,
    ...(o.retry ? { retry: o.retry } : {}),
  });
  void service.start();
  closers.push(() => {
    service.close();
    devices.close();
  });
  const send = () => service.send({ target: { kind: 'devices', deviceIds: ['sp-1'] }, source: { kind: 'tts', text: 'leave the area', lang: 'en' }, volumePct: 80, loop: false, priority: 50 }, 'chief');
  return { bus, ledger, devices, service, send };
}

const states = (r: LedgerRecord | undefined): LedgerState[] => r?.transitions.map((t) => t.state) ?? [];

describe('broadcast retry within validity', () => {
  it('sends a silent speaker a new play command, linked to the same broadcast and speaker, with the same validity', async () => {
    const { bus, ledger, service, send } = rig({ ackMs: 100, ttlMs: 10_000 });
    // Silent on the first play (lost with a restarting broker), answers the second.
    bus.onCmd = (sp, cmd, attempt) => {
      if (attempt >= 2) setTimeout(() => ['accepted', 'playing', 'finished'].forEach((s) => bus.ack(sp, cmd.id, s)), 5);
    };
    const rec = send();
    const first = rec.commandIds.get('sp-1')!;
    const snap = await eventually('the report done', () => {
      const s = service.get(rec.id)!.report.snapshot();
      return s.done && s;
    }, 5_000, 10);
    const sp = snap.speakers[0]!;
    expect(sp).toMatchObject({ state: 'finished', attempts: 2, earlierCommandIds: [first] });
    expect(sp.commandId).not.toBe(first);
    expect(states(ledger.get(first))).toEqual(['queued', 'sent', 'timed_out']);
    expect(ledger.get(sp.commandId!)!.state).toBe('succeeded');
    expect(bus.sent.map((s) => s.body.expiresAtMs)).toEqual([rec.expiresAtMs, rec.expiresAtMs]);
    expect(service.playRetries).toBe(1);
  });

  it('keeps retrying a silent speaker only while the broadcast is valid, then reports no_answer', async () => {
    const { bus, service, send } = rig({ ackMs: 100, ttlMs: 450, retry: { minRemainingMs: 100 } });
    const rec = send();
    const snap = await eventually('the report done', () => {
      const s = service.get(rec.id)!.report.snapshot();
      return s.done && s;
    }, 5_000, 10);
    // Attempts at ~0, ~100, ~200, ~300 ms; at ~400 ms only ~50 ms of validity is left.
    expect(snap.speakers[0]!.state).toBe('no_answer');
    expect(snap.speakers[0]!.attempts).toBe(bus.sent.length);
    expect(bus.sent.length).toBeGreaterThanOrEqual(2);
    expect(bus.sent.length).toBeLessThanOrEqual(4);
  });

  it('does not retry a speaker that accepted and then went quiet (it may be playing)', async () => {
    const { bus, service, send } = rig({ ackMs: 100, ttlMs: 10_000, completionMs: 150 });
    bus.onCmd = (sp, cmd) => setTimeout(() => bus.ack(sp, cmd.id, 'accepted'), 5);
    const rec = send();
    const snap = await eventually('the report done', () => {
      const s = service.get(rec.id)!.report.snapshot();
      return s.done && s;
    }, 10_000, 10);
    expect(snap.speakers[0]).toMatchObject({ state: 'no_answer', attempts: 1 });
    expect(bus.sent).toHaveLength(1);
  });
});

describe('device commands while the broker is away', () => {
  it('holds a command queued and sends it when the broker link comes back', async () => {
    const { bus, ledger, service, send } = rig({ ackMs: 200, ttlMs: 10_000 });
    bus.onCmd = (sp, cmd) => setTimeout(() => ['accepted', 'playing', 'finished'].forEach((s) => bus.ack(sp, cmd.id, s)), 5);
    bus.connected = false;
    const rec = send();
    const id = rec.commandIds.get('sp-1')!;
    await new Promise((r) => setTimeout(r, 400));
    // Nothing went out and nothing timed out: the ledger says it is not sent yet.
    expect(bus.sent).toHaveLength(0);
    expect(ledger.get(id)!.state).toBe('queued');
    expect(service.get(rec.id)!.report.snapshot().speakers[0]!.state).toBe('pending');
    bus.reconnect();
    await eventually('the play finished', () => ledger.get(id)!.state === 'succeeded', 5_000, 10);
    expect(bus.sent).toHaveLength(1);
  });

  it('fails a held command whose validity ends before the broker comes back, never sending it', async () => {
    const { bus, ledger, send, devices } = rig({ ackMs: 100, ttlMs: 150 });
    bus.connected = false;
    const rec = send();
    const id = rec.commandIds.get('sp-1')!;
    const r = await ledger.settled(id);
    expect(r.state).toBe('failed');
    expect(r.transitions.at(-1)!.detail).toMatch(/not sent: the broker was unreachable/);
    expect(devices.counters.expiredUnsent).toBe(1);
    bus.reconnect();
    expect(bus.sent).toHaveLength(0);
  });
});

describe('retryDecision', () => {
  const rec = (...s: LedgerState[]) => ({ state: s.at(-1)!, transitions: s.map((state) => ({ state, tsMs: 0 })) });
  const c = { nowMs: 1_000, expiresAtMs: 30_000, attempts: 1, stopped: false };
  it.each([
    ['silent, valid', rec('queued', 'sent', 'timed_out'), c, true],
    ['answered then silent', rec('queued', 'sent', 'acked', 'timed_out'), c, false],
    ['refused', rec('queued', 'sent', 'failed'), c, false],
    ['finished', rec('queued', 'sent', 'acked', 'succeeded'), c, false],
    ['stopped', rec('queued', 'sent', 'timed_out'), { ...c, stopped: true }, false],
    ['out of attempts', rec('queued', 'sent', 'timed_out'), { ...c, attempts: DEFAULT_PLAY_RETRY.maxAttempts }, false],
    ['validity nearly over', rec('queued', 'sent', 'timed_out'), { ...c, nowMs: 29_500 }, false],
  ] as const)('%s', (_name, r, ctx, want) => {
    expect(retryDecision(r, ctx, DEFAULT_PLAY_RETRY).retry).toBe(want);
  });
});

describe('device commands after close', () => {
  it('ignore acks that arrive while the stack shuts down (no new timers for a closed service)', async () => {
    const { bus, ledger, send, devices } = rig({ ackMs: 100, ttlMs: 10_000 });
    const rec = send();
    const id = rec.commandIds.get('sp-1')!;
    devices.close();
    bus.ack('sp-1', id, 'accepted');
    expect(ledger.get(id)!.state).toBe('sent');
    expect(devices.counters.acksReceived).toBe(0);
  });
});

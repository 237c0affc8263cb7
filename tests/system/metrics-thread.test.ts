import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { assembleHealth, type HealthAnswers } from '../../system/metrics-thread/assemble-health.ts';
import { answerPeerRequests, type PeerAnswers } from '../../system/metrics-thread/answer-peer.ts';
import { startMetricsThread, type MetricsThread } from '../../system/metrics-thread/metrics-thread.ts';
import type { LagSnapshot } from '../../util/event-loop-lag.ts';

const lag: LagSnapshot = { p50S: 0.001, p99S: 0.002, maxS: 0.004, utilization: 0.1, windowS: 10 };
const ok = { status: 'ok' as const, reasons: [] };

/** A thread's answers with one counter of its own. */
function answers(name: string, value: number, parts: ReturnType<PeerAnswers['health']>): PeerAnswers & { hold: boolean } {
  const reg = new Registry();
  new Counter({ name, help: `${name} help`, registers: [reg] }).inc(value);
  const a = {
    hold: false,
    // A held peer never answers, as a thread stuck in a synchronous loop would not.
    metrics: () => (a.hold ? new Promise<never>(() => {}) : reg.getMetricsAsJSON()),
    lag: () => lag,
    health: () => parts,
  };
  return a;
}

const timeouts = { startMs: 30_000, answerMs: 300, pingEveryMs: 100 };

describe('the metrics thread', () => {
  let thread: MetricsThread | undefined;
  const ports: MessagePort[] = [];
  afterEach(async () => {
    await thread?.close();
    thread = undefined;
    for (const p of ports.splice(0)) p.close();
  });

  /** A broker-thread stand-in answering on its own port, as the real one does from its worker. */
  function brokerPeer(a: PeerAnswers): () => MessagePort {
    return () => {
      const { port1, port2 } = new MessageChannel();
      ports.push(port2);
      answerPeerRequests(port2, a, (err) => {
        throw err;
      });
      return port1;
    };
  }

  it('serves every thread it reaches, and a thread that does not answer as answered 0 without its figures', async () => {
    const main = answers('ringwatch_control_test_total', 7, { broker: { ...ok, external: false }, control: ok, telemetry: ok });
    const broker = answers('ringwatch_broker_test_total', 3, { telemetry: ok });
    thread = await startMetricsThread({ port: 0, main, brokerPort: brokerPeer(broker), onBrokerRestart: () => () => {}, externalBroker: false, logger: pino({ level: 'silent' }), timeouts });
    expect(thread.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);

    const whole = await (await fetch(thread.metricsUrl)).text();
    expect(whole).toContain('ringwatch_control_test_total 7');
    expect(whole).toContain('ringwatch_broker_test_total 3');
    expect(whole).toContain('ringwatch_thread_answered{thread="main"} 1');
    expect(whole).toContain('ringwatch_event_loop_lag_max_seconds{thread="broker"} 0.004');
    // One HELP per family, the per-thread ones included.
    const helps = whole.split('\n').filter((l) => l.startsWith('# HELP '));
    expect(new Set(helps).size).toBe(helps.length);

    main.hold = true;
    const t0 = performance.now();
    const held = await (await fetch(thread.metricsUrl)).text();
    expect(performance.now() - t0).toBeLessThan(timeouts.answerMs + 700);
    expect(held).toContain('ringwatch_thread_answered{thread="main"} 0');
    expect(held).toContain('ringwatch_thread_answered{thread="broker"} 1');
    expect(held).toContain('ringwatch_broker_test_total 3');
    expect(held).not.toContain('ringwatch_control_test_total');
    expect(held).not.toContain('ringwatch_event_loop_lag_max_seconds{thread="main"}');

    main.hold = false;
    expect(await (await fetch(thread.metricsUrl)).text()).toContain('ringwatch_thread_answered{thread="main"} 1');
  });

  it('takes the new port of a restarted broker thread', async () => {
    const main = answers('ringwatch_control_test_total', 1, { broker: { ...ok, external: false }, control: ok, telemetry: ok });
    let restarted: (() => void) | undefined;
    let generation = 1;
    const brokerPort = () => brokerPeer(answers('ringwatch_broker_test_total', generation, { telemetry: ok }))();
    thread = await startMetricsThread({ port: 0, main, brokerPort, onBrokerRestart: (l) => ((restarted = l), () => {}), externalBroker: false, logger: pino({ level: 'silent' }), timeouts });
    expect(await (await fetch(thread.metricsUrl)).text()).toContain('ringwatch_broker_test_total 1');
    // The first thread dies (its port closes); a second one starts.
    ports[0]!.close();
    generation = 2;
    restarted!();
    await new Promise((r) => setTimeout(r, 50));
    expect(await (await fetch(thread.metricsUrl)).text()).toContain('ringwatch_broker_test_total 2');
  });

  it('is loopback only', async () => {
    const main = answers('ringwatch_control_test_total', 1, { broker: ok, control: ok, telemetry: ok });
    thread = await startMetricsThread({ port: 0, main, brokerPort: () => undefined, onBrokerRestart: () => () => {}, externalBroker: true, logger: pino({ level: 'silent' }), timeouts });
    expect(new URL(thread.healthUrl).hostname).toBe('127.0.0.1');
  });
});

describe('/health assembled in the metrics thread', () => {
  const tel = { status: 'degraded' as const, reasons: ['InfluxDB unreachable'] };
  const rows: [string, HealthAnswers, string, string[]][] = [
    ['main answers: its verdicts as they are', { main: { broker: { ...ok, external: false }, control: { status: 'down' as const, reasons: ['broker unreachable'] }, telemetry: ok }, mainSilentS: 0, broker: { telemetry: tel }, externalBroker: false }, 'down', ['control: broker unreachable']],
    ['main silent, broker thread answers', { main: undefined, mainSilentS: 3.2, broker: { telemetry: tel }, externalBroker: false }, 'degraded', ['control: control (main thread) not answering for 3 s', 'telemetry: InfluxDB unreachable']],
    ['main and broker thread silent', { main: undefined, mainSilentS: 12, broker: undefined, externalBroker: false }, 'degraded', ['broker: the broker thread is not answering either (restarting or stuck)', 'control: control (main thread) not answering for 12 s', 'telemetry: telemetry runs in the broker thread, which is not answering']],
    ['main silent, external broker', { main: undefined, mainSilentS: 2, broker: { telemetry: ok }, externalBroker: true }, 'degraded', ["broker: judged by control's link to it, and control is not answering", 'control: control (main thread) not answering for 2 s']],
  ];
  it.each(rows)('%s', (_n, input, status, reasons) => {
    const h = assembleHealth(input);
    expect(h.status).toBe(status);
    expect(h.reasons).toEqual(reasons);
  });
});

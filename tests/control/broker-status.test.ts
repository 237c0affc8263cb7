import { describe, expect, it } from 'vitest';
import type { Bus } from '../../control/mqtt/bus.ts';
import { InboundRouter } from '../../control/mqtt/inbound-router.ts';
import { BrokerStatusBook, watchBrokerStatus } from '../../control/ops/broker-status.ts';
import { BROKER_STATUS_TOPIC, deviceTopic, type BrokerStatusRecord } from '../../protocol/index.ts';

const status = (tsMs: number, over: Partial<BrokerStatusRecord> = {}): BrokerStatusRecord => ({
  brokerId: 'b1',
  tsMs,
  startedAtMs: 1000,
  clients: { control: 1, speaker: 3 },
  clientsTotal: 4,
  messagesIn: 10,
  messagesOut: 12,
  rejects: { schema: 2 },
  rejectsTotal: 2,
  devices: { 'sp-1': { schema: 2 } },
  devicesOmitted: 0,
  health: { status: 'ok', reasons: [] },
  ...over,
});

/** Delivers to matching filters as MqttBus does (`+` and exact topics), and can drop its link. */
class FakeBus implements Bus {
  readonly subscriptions: string[] = [];
  connected = true;
  private readonly handlers: { re: RegExp; fn: (topic: string, payload: Buffer) => void }[] = [];
  private readonly linkFns: ((c: boolean) => void)[] = [];
  publish(): void {}
  async subscribe(filter: string, fn: (topic: string, payload: Buffer) => void): Promise<void> {
    this.subscriptions.push(filter);
    this.handlers.push({ re: new RegExp(`^${filter.split('/').map((p) => (p === '+' ? '[^/]+' : p)).join('/')}$`), fn });
  }
  onConnectionChange(fn: (c: boolean) => void): void {
    this.linkFns.push(fn);
  }
  setLink(c: boolean): void {
    this.connected = c;
    for (const fn of this.linkFns) fn(c);
  }
  deliver(topic: string, body: unknown): void {
    const payload = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    for (const h of this.handlers) if (h.re.test(topic)) h.fn(topic, payload);
  }
}

describe('BrokerStatusBook', () => {
  it('gives the status with its age, stale after three intervals without one', () => {
    const book = new BrokerStatusBook(true);
    expect(book.view(5000)).toEqual({ link: { connected: true } });
    book.status(status(10_000));
    expect(book.view(12_000).status).toMatchObject({ ageMs: 2000, stale: false, clientsTotal: 4, devices: { 'sp-1': { schema: 2 } } });
    expect(book.view(26_000).status).toMatchObject({ ageMs: 16_000, stale: true });
    // A clock a little behind the broker's is "just now", not a negative age.
    expect(book.view(9_000).status?.ageMs).toBe(0);
  });

  it('keeps the newest status of a broker when an older one arrives late', () => {
    const book = new BrokerStatusBook(true);
    book.status(status(20_000, { clientsTotal: 9 }));
    book.status(status(15_000, { clientsTotal: 1 }));
    expect(book.view(20_000).status?.clientsTotal).toBe(9);
    // A restarted broker (another id) replaces it whatever its clock says.
    book.status(status(15_000, { brokerId: 'b2', clientsTotal: 2 }));
    expect(book.view(20_000).status?.clientsTotal).toBe(2);
  });

  it('says since when control lost the broker; retries do not move that time', () => {
    const book = new BrokerStatusBook(true);
    book.link(false, 1000);
    book.link(false, 2000);
    book.link(false, 3000);
    expect(book.view(13_000).link).toEqual({ connected: false, changedAtMs: 1000, changedAgoMs: 12_000 });
    book.link(true, 14_000);
    expect(book.view(15_000).link).toEqual({ connected: true, changedAtMs: 14_000, changedAgoMs: 1000 });
  });
});

describe('the broker status through the inbound router', () => {
  it('subscribes to the status topic, checks each record once and skips it on device routes', async () => {
    const bus = new FakeBus();
    const lines: string[] = [];
    const inbound = new InboundRouter(bus, { log: (l) => lines.push(l) });
    const statuses: unknown[] = [];
    // Device presence (`+/+/status`) also matches svc/broker/status at the broker.
    await inbound.on('+', 'status', (m) => statuses.push(m));
    let now = 50_000;
    const watch = watchBrokerStatus(inbound, () => now);
    await Promise.resolve();
    expect(bus.subscriptions).toEqual(['ringwatch/v1/+/+/status', BROKER_STATUS_TOPIC]);

    bus.deliver(BROKER_STATUS_TOPIC, status(49_000));
    expect(watch.book.view(now).status).toMatchObject({ ageMs: 1000, devices: { 'sp-1': { schema: 2 } } });
    expect(statuses).toEqual([]);
    expect(inbound.counters.serviceSkipped).toBe(1);
    expect(inbound.counters.dropped.bad_topic).toBe(0);

    // A bad record is counted and logged naming the field; the last good one stays.
    bus.deliver(BROKER_STATUS_TOPIC, { ...status(49_500), clientsTotal: 'many' });
    expect(inbound.counters.dropped.schema).toBe(1);
    expect(lines.join('\n')).toMatch(/svc\/broker\/status.*clientsTotal/);
    expect(watch.book.view(now).status?.tsMs).toBe(49_000);

    // Device status still flows.
    bus.deliver(deviceTopic('speaker', 'sp-1', 'status'), { tsMs: 1, state: 'online' });
    expect(statuses).toHaveLength(1);

    bus.setLink(false);
    now = 62_000;
    expect(watch.book.view(now).link).toEqual({ connected: false, changedAtMs: 50_000, changedAgoMs: 12_000 });
    watch.close();
    bus.deliver(BROKER_STATUS_TOPIC, status(61_000));
    expect(watch.book.view(now).status?.tsMs).toBe(49_000);
  });

  it('refuses to route a topic that is not a concrete service topic', async () => {
    const inbound = new InboundRouter(new FakeBus());
    await expect(inbound.onService('ringwatch/v1/svc/#', () => ({ ok: true, value: 1 }), () => undefined)).rejects.toThrow(/not a service topic/);
    await expect(inbound.onService(deviceTopic('speaker', 'sp-1', 'status'), () => ({ ok: true, value: 1 }), () => undefined)).rejects.toThrow(/not a service topic/);
  });
});

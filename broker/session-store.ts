import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import type { AedesOptions } from 'aedes';

/**
 * aedes' in-memory persistence with the outgoing queue of each persistent session
 * indexed. aedes-persistence keeps that queue as an array and finds a packet by a linear
 * scan on every delivery (`outgoingUpdate`) and every PUBACK (`outgoingClearMessageId`),
 * so a persistent QoS 1 subscriber that is N messages behind costs O(N) per message: the
 * broker's CPU per message climbed with the backlog of `ringwatch telemetry`'s session
 * (issue 18). Here every lookup is a Map hit; queue order is the Map's insertion order.
 * Everything else (subscriptions, retained, wills, incoming QoS 2) is aedes-persistence's
 * own, and the class passes aedes-persistence's abstract test suite
 * (tests/broker/session-store.test.ts).
 */

const require = createRequire(import.meta.url);

/** The fields of an aedes-packet this queue reads; the rest travel untouched. */
interface QueuedPacket {
  brokerId: string;
  brokerCounter: number;
  messageId?: number | undefined;
}
interface Client {
  id: string;
}
type PacketCtor = new (p: unknown) => QueuedPacket;
type AsyncPersistenceCtor = new (opts?: object) => {
  destroy(): Promise<void>;
};

const AsyncPersistence = require('aedes-persistence/asyncPersistence.js') as AsyncPersistenceCtor;
const { CallBackPersistence } = require('aedes-persistence/callBackPersistence.js') as {
  CallBackPersistence: new (factory: (opts: object) => unknown, opts?: object) => NonNullable<AedesOptions['persistence']>;
};
const Packet = require('aedes-packet') as PacketCtor;

const counterKey = (p: QueuedPacket) => `${p.brokerId}\u0000${p.brokerCounter}`;

/** One session's outgoing queue: in order, findable by broker counter and by message id. */
export class OutgoingQueue {
  private nextKey = 0;
  private readonly entries = new Map<number, QueuedPacket>();
  private readonly byCounter = new Map<string, number>();
  private readonly byMessageId = new Map<number, number>();

  get length(): number {
    return this.entries.size;
  }

  enqueue(packet: QueuedPacket): void {
    const k = this.nextKey++;
    this.entries.set(k, packet);
    this.byCounter.set(counterKey(packet), k);
    if (packet.messageId !== undefined && packet.messageId !== null) this.byMessageId.set(packet.messageId, k);
  }

  /**
   * The packet was sent with `packet.messageId`: record it on the queued copy (same broker
   * and counter), or, as aedes-persistence does, let it replace a queued packet from
   * another broker holding that message id. False when neither exists.
   */
  update(packet: QueuedPacket): boolean {
    const k = this.byCounter.get(counterKey(packet));
    if (k !== undefined) {
      const e = this.entries.get(k)!;
      if (e.messageId !== undefined && this.byMessageId.get(e.messageId) === k) this.byMessageId.delete(e.messageId);
      e.messageId = packet.messageId;
      if (packet.messageId !== undefined) this.byMessageId.set(packet.messageId, k);
      return true;
    }
    const m = packet.messageId === undefined ? undefined : this.byMessageId.get(packet.messageId);
    const old = m === undefined ? undefined : this.entries.get(m);
    if (m === undefined || !old || old.brokerId === packet.brokerId) return false;
    this.byCounter.delete(counterKey(old));
    this.entries.set(m, packet);
    this.byCounter.set(counterKey(packet), m);
    return true;
  }

  /** Removes and returns the packet sent with `messageId` (the PUBACK arrived). */
  clear(messageId: number): QueuedPacket | undefined {
    const k = this.byMessageId.get(messageId);
    if (k === undefined) return undefined;
    const e = this.entries.get(k)!;
    this.byMessageId.delete(messageId);
    this.entries.delete(k);
    this.byCounter.delete(counterKey(e));
    return e;
  }

  snapshot(): QueuedPacket[] {
    return [...this.entries.values()];
  }
}

/** aedes-persistence's MemoryPersistence with indexed outgoing queues (the async layer). */
export class IndexedMemoryPersistence extends AsyncPersistence {
  private readonly outgoing = new Map<string, OutgoingQueue>();

  private queue(clientId: string): OutgoingQueue {
    let q = this.outgoing.get(clientId);
    if (!q) this.outgoing.set(clientId, (q = new OutgoingQueue()));
    return q;
  }

  async outgoingEnqueue(sub: { clientId: string }, packet: unknown): Promise<void> {
    this.queue(sub.clientId).enqueue(new Packet(packet));
  }

  async outgoingEnqueueCombi(subs: readonly { clientId: string }[], packet: unknown): Promise<void> {
    for (const sub of subs) this.queue(sub.clientId).enqueue(new Packet(packet));
  }

  async outgoingUpdate(client: Client, packet: QueuedPacket): Promise<void> {
    if (!this.queue(client.id).update(packet)) throw new Error('no such packet');
  }

  async outgoingClearMessageId(client: Client, packet: { messageId: number }): Promise<QueuedPacket | undefined> {
    return this.outgoing.get(client.id)?.clear(packet.messageId);
  }

  outgoingStream(client: Client): Readable {
    // A copy, as aedes-persistence gives: the queue may change while aedes replays it.
    return Readable.from(this.outgoing.get(client.id)?.snapshot() ?? []);
  }

  override async destroy(): Promise<void> {
    this.outgoing.clear();
    await super.destroy();
  }
}

/** The broker's default persistence: the callback layer aedes expects around the indexed store. */
export function createSessionStore(opts: object = {}): NonNullable<AedesOptions['persistence']> {
  return new CallBackPersistence((o) => new IndexedMemoryPersistence(o), opts);
}

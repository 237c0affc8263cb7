/**
 * npm run bench:session-store — what a persistent QoS 1 session costs the broker per
 * message, by how far its subscriber is behind: aedes-persistence's in-memory store
 * (the reference, side by side in the same process) against broker/session-store.ts.
 * Per message, the broker's calls for one persistent subscriber: outgoingEnqueueCombi
 * (publish), outgoingUpdate (delivery), outgoingClearMessageId (PUBACK), with `backlog`
 * messages queued ahead that the subscriber has not yet acknowledged.
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { IndexedMemoryPersistence } from '../broker/session-store.ts';
import { runBench, type Figures } from './lib/runs.ts';

const require = createRequire(import.meta.url);
const AsyncMemory = require('aedes-persistence/asyncPersistence.js') as new () => Store;
const Packet = require('aedes-packet') as new (p: object, broker: object) => { messageId?: number };

interface Store {
  outgoingEnqueueCombi(subs: object[], packet: object): Promise<void>;
  outgoingUpdate(client: object, packet: object): Promise<void>;
  outgoingClearMessageId(client: object, packet: object): Promise<unknown>;
}

const MESSAGES = 20_000;
const BACKLOGS = [0, 1_000, 10_000];

async function perMessageUs(store: Store, backlog: number): Promise<number> {
  const broker = { id: 'bench', counter: 0 };
  const client = { id: 'telemetry:ingest' };
  const subs = [{ clientId: client.id, topic: 'ringwatch/v1/#', qos: 1 }];
  const sent: { messageId?: number }[] = [];
  let nextId = 1;
  const publishAndSend = async () => {
    const p = new Packet({ cmd: 'publish', topic: 'ringwatch/v1/drone/d/telemetry', payload: Buffer.from('{}'), qos: 1 }, broker);
    await store.outgoingEnqueueCombi(subs, p);
    const out = new Packet(p, broker);
    Object.assign(out, { brokerId: (p as never)['brokerId'], brokerCounter: (p as never)['brokerCounter'], messageId: nextId });
    nextId = (nextId % 65535) + 1;
    await store.outgoingUpdate(client, out);
    sent.push(out);
  };
  for (let i = 0; i < backlog; i++) await publishAndSend();
  const t0 = performance.now();
  for (let i = 0; i < MESSAGES; i++) {
    await publishAndSend();
    // The subscriber acks the oldest unacked message: the backlog stays `backlog` deep.
    await store.outgoingClearMessageId(client, sent.shift()!);
  }
  return ((performance.now() - t0) * 1000) / MESSAGES;
}

async function main(): Promise<Figures> {
  const figures: Figures = {};
  console.log(`persistent QoS 1 session, µs per message (enqueue + update + clear), ${MESSAGES.toLocaleString()} messages:`);
  for (const backlog of BACKLOGS) {
    const ref = await perMessageUs(new AsyncMemory(), backlog);
    const ours = await perMessageUs(new IndexedMemoryPersistence() as unknown as Store, backlog);
    console.log(`  backlog ${String(backlog).padStart(6)}: aedes-persistence ${ref.toFixed(2)} µs, ours ${ours.toFixed(2)} µs (ratio ours/reference ${(ours / ref).toFixed(2)})`);
    figures[`backlog${backlog}ReferenceUs`] = Math.round(ref * 100) / 100;
    figures[`backlog${backlog}OursUs`] = Math.round(ours * 100) / 100;
    figures[`backlog${backlog}Ratio`] = Math.round((ours / ref) * 100) / 100;
  }
  return figures;
}

await runBench('bench:session-store', import.meta.url, main);

// The attacker for the 20k slow-client drill, in a process of its own so the drill's
// event loop stays free to time the operator and the device. It opens `total` connections
// at `openPerS`: `first.count` from `first.address`, then the rest round-robin over
// `spread` (a list of source addresses); it sends each the start of a request
// whose headers never end, then one more byte every `trickleMs`, and never reconnects:
// every close it sees before `holdMs` is the server's doing. It reports to stdout as
// JSON lines: a sample every `sampleMs`, then one summary.
// Plain JavaScript on purpose: nothing to load but node itself, fast to start.
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { clearInterval, setInterval, setTimeout } from 'node:timers';

const cfg = JSON.parse(process.argv[2]);
const { host, port, total, first, spread, openPerS, trickleMs, holdMs, sampleMs, heldAfterMs } = cfg;
const plan = Array.from({ length: first?.count ?? 0 }, () => first.address);
for (let i = 0; plan.length < total; i++) plan.push(spread[i % spread.length]);
const t0 = performance.now();
const sinceStartMs = () => Math.round(performance.now() - t0);

/** One record per attempt; lifetimes are measured from the TCP handshake, not the attempt. */
const conns = [];
const emit = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

function open(localAddress) {
  const c = { localAddress, socket: undefined, connectedMs: undefined, closedMs: undefined, error: undefined };
  const s = connect({ host, port, localAddress });
  c.socket = s;
  s.setNoDelay(true);
  s.on('error', (err) => (c.error = err.code ?? err.message));
  s.once('connect', () => {
    c.connectedMs = performance.now();
    // The request line and one header, but never the blank line that ends the headers.
    s.write('GET /api/drones HTTP/1.1\r\nHost: ringwatch\r\nX-Slow: ');
  });
  s.once('close', () => (c.closedMs = performance.now()));
  conns.push(c);
}

let next = 0;
const BATCH_EVERY_MS = 50;
const perBatch = Math.max(1, Math.round((openPerS * BATCH_EVERY_MS) / 1000));
const opener = setInterval(() => {
  for (let i = 0; i < perBatch && next < plan.length; i++) open(plan[next++]);
  if (next >= plan.length) clearInterval(opener);
}, BATCH_EVERY_MS);

// One timer for all the trickling, not 20,000: each tick writes a byte to a slice of the
// connections so that every one gets a byte every `trickleMs`.
const TICK_MS = 100;
let tick = 0;
const slices = Math.max(1, Math.round(trickleMs / TICK_MS));
const trickler = setInterval(() => {
  const slice = tick++ % slices;
  for (let i = slice; i < conns.length; i += slices) {
    const c = conns[i];
    if (c.connectedMs !== undefined && c.closedMs === undefined && c.socket.writable) c.socket.write('x');
  }
}, TICK_MS);

/** Open now and connected at least `heldAfterMs` ago: past the moment a capped connection is cut. */
function counts() {
  const now = performance.now();
  let connected = 0;
  let open = 0;
  let held = 0;
  for (const c of conns) {
    if (c.connectedMs === undefined) continue;
    connected++;
    if (c.closedMs !== undefined) continue;
    open++;
    if (now - c.connectedMs >= heldAfterMs) held++;
  }
  return { attempted: conns.length, connected, open, held };
}
const sampler = setInterval(() => emit({ kind: 'sample', tMs: sinceStartMs(), ...counts() }), sampleMs);

setTimeout(() => {
  const atEnd = counts();
  clearInterval(opener);
  clearInterval(trickler);
  clearInterval(sampler);
  const lifetimesMs = [];
  let neverConnected = 0;
  let openAtEnd = 0;
  const errors = {};
  const bySource = {};
  for (const c of conns) {
    if (c.error) errors[c.error] = (errors[c.error] ?? 0) + 1;
    if (c.connectedMs === undefined) {
      neverConnected++;
      continue;
    }
    if (c.closedMs === undefined) {
      openAtEnd++;
      continue;
    }
    const lifeMs = Math.round(c.closedMs - c.connectedMs);
    lifetimesMs.push(lifeMs);
    const src = (bySource[c.localAddress] ??= { connected: 0, held: 0 });
    src.connected++;
    if (lifeMs >= heldAfterMs) src.held++;
  }
  for (const c of conns) c.socket.destroy();
  emit({ kind: 'summary', tMs: sinceStartMs(), ...atEnd, neverConnected, openAtEnd, lifetimesMs, errors, bySource });
  // The summary is one long line; let stdout drain before leaving.
  process.stdout.write('', () => process.exit(0));
}, holdMs);

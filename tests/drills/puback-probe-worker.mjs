// A device on its own thread for the event-loop drill: it logs in over MQTT, publishes a
// QoS 1 telemetry message every `intervalMs`, and records when each PUBACK arrived. It
// runs off the thread the drill blocks, so it measures the broker, not its own stall.
// Plain JavaScript on purpose: no loader to register in the worker.
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval, setTimeout } from 'node:timers';
import { parentPort, workerData } from 'node:worker_threads';
import mqtt from 'mqtt';

const { url, username, password, topic, intervalMs } = workerData;
const client = await mqtt.connectAsync(url, { username, password, clientId: username, reconnectPeriod: 0, connectTimeout: 10_000 });
const sent = [];
// Wall-clock milliseconds comparable across threads (each thread's performance.now() has its own origin).
const nowMs = () => performance.timeOrigin + performance.now();
let stopping = false;
let inFlight = 0;
let settle;

const publishOne = () => {
  const seq = sent.length;
  // One distinct millisecond per message: InfluxDB keeps one point per series and time.
  const tsMs = Date.now();
  const rec = { seq, tsMs, sentMs: nowMs(), ackMs: undefined, error: undefined };
  sent.push(rec);
  inFlight++;
  client.publish(topic, JSON.stringify({ tsMs, rssiDbm: -50 - (seq % 40) }), { qos: 1 }, (err) => {
    inFlight--;
    if (err) rec.error = err.message;
    else rec.ackMs = nowMs();
    if (stopping && inFlight === 0) settle?.();
  });
};

const timer = setInterval(publishOne, intervalMs);
parentPort.postMessage({ kind: 'started' });
parentPort.on('message', async (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  stopping = true;
  // Wait for the last acks, bounded: a missing PUBACK shows as ackMs undefined.
  if (inFlight > 0) await new Promise((r) => ((settle = r), setTimeout(r, 10_000)));
  await client.endAsync();
  parentPort.postMessage({ kind: 'result', sent });
});

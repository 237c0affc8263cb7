import type { MqttClient } from 'mqtt';
import { parseDeviceTopic, type Channel } from '../../protocol/index.ts';

export interface Seen {
  topic: string;
  deviceId: string;
  channel: Channel;
  retain: boolean;
  body: Record<string, unknown>;
}

/**
 * Records every device message an observer client receives and lets a test await the
 * first one matching a predicate (no sleeps).
 */
export function recorder(client: MqttClient) {
  const seen: Seen[] = [];
  const waiters: { pred: (m: Seen) => boolean; resolve: (m: Seen) => void }[] = [];
  client.on('message', (topic, payload, packet) => {
    const t = parseDeviceTopic(topic);
    if (!t) return;
    const m: Seen = { topic, deviceId: t.deviceId, channel: t.channel, retain: packet.retain, body: JSON.parse(payload.toString()) as Record<string, unknown> };
    seen.push(m);
    for (const w of [...waiters]) {
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const waitFor = (pred: (m: Seen) => boolean, what: string, timeoutMs = 5000): Promise<Seen> => {
    const already = seen.find(pred);
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  };
  const acks = (id: string) => seen.filter((m) => m.channel === 'ack' && m.body['id'] === id).map((m) => m.body);
  return { seen, waitFor, acks };
}

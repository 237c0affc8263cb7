import { parseDeviceTopic, type DeviceTopic } from '../protocol/index.ts';

/**
 * parseDeviceTopic, memoised. Every publish needs its topic parsed (ACL, rate class,
 * schema); a site has a few thousand distinct topics, so parsing each one once saves a
 * split and a regex per message. Bounded so a client inventing topics cannot grow it.
 */
const MAX_ENTRIES = 50_000;
const cache = new Map<string, DeviceTopic | null>();

export function parseTopic(topic: string): DeviceTopic | undefined {
  let hit = cache.get(topic);
  if (hit === undefined) {
    hit = parseDeviceTopic(topic) ?? null;
    if (cache.size >= MAX_ENTRIES) cache.clear();
    cache.set(topic, hit);
  }
  return hit ?? undefined;
}

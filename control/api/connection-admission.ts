/**
 * Which HTTP connections the API keeps when it is full. Pure: no sockets, keys chosen by
 * the caller.
 *
 * A plain total cap refuses every new client while it is full, and the 20k slow-client
 * drill showed what that means: 16 sources holding headers open for the 10 s headers
 * timeout lock every new operator out for as long as they keep reconnecting. So a full
 * table makes room instead of refusing, taking the connection that is worth least:
 *   1. the oldest one that has not yet sent a complete request head — a client that has
 *      had longer than anyone waiting to say what it wants (slow headers, a half-open
 *      scan); a real client finishes its head within milliseconds of connecting;
 *   2. otherwise the oldest one of the source holding the most connections, when that
 *      source holds more than the newcomer's source would after admission — a source
 *      with thousands of slow bodies yields to one with none;
 * and refuses the newcomer only when every connection is a served one spread no more
 * unevenly than that. The per-source cap is checked first, as before.
 */
export type AdmissionVerdict<K> =
  | { admit: true; evict?: K }
  | { admit: false; reason: 'source_cap' | 'full' };

interface Entry {
  source: string;
  /** True until the connection's first complete request head. */
  pending: boolean;
}

export class ConnectionAdmission<K> {
  /** Insertion order is age order: the first entry is the oldest. */
  private readonly entries = new Map<K, Entry>();
  private readonly bySource = new Map<string, Set<K>>();
  private readonly pendingOrder = new Set<K>();

  constructor(private readonly limits: { maxTotal: number; maxPerSource: number }) {}

  get open(): number {
    return this.entries.size;
  }

  /** Decides on a new connection from `source`; an admitted one is recorded, an evicted one forgotten. */
  admit(key: K, source: string): AdmissionVerdict<K> {
    const ofSource = this.bySource.get(source)?.size ?? 0;
    if (ofSource >= this.limits.maxPerSource) return { admit: false, reason: 'source_cap' };
    let evict: K | undefined;
    if (this.entries.size >= this.limits.maxTotal) {
      evict = this.oldestPending() ?? this.oldestOfHeaviest(ofSource + 1);
      if (evict === undefined) return { admit: false, reason: 'full' };
      this.closed(evict);
    }
    this.entries.set(key, { source, pending: true });
    this.pendingOrder.add(key);
    let set = this.bySource.get(source);
    if (!set) this.bySource.set(source, (set = new Set()));
    set.add(key);
    return evict === undefined ? { admit: true } : { admit: true, evict };
  }

  /** The connection sent a complete request head: it is a client being served, not a waiter. */
  served(key: K): void {
    const e = this.entries.get(key);
    if (!e || !e.pending) return;
    e.pending = false;
    this.pendingOrder.delete(key);
  }

  closed(key: K): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.pendingOrder.delete(key);
    const set = this.bySource.get(e.source);
    set?.delete(key);
    if (set && set.size === 0) this.bySource.delete(e.source);
  }

  private oldestPending(): K | undefined {
    for (const k of this.pendingOrder) return k;
    return undefined;
  }

  /** The heaviest source's oldest connection, if that source holds more than `newcomerCount`. */
  private oldestOfHeaviest(newcomerCount: number): K | undefined {
    let heaviest: Set<K> | undefined;
    for (const set of this.bySource.values()) if (!heaviest || set.size > heaviest.size) heaviest = set;
    if (!heaviest || heaviest.size <= newcomerCount) return undefined;
    for (const k of heaviest) return k;
    return undefined;
  }
}

/**
 * Refusals per device of the site, by reason, in one flat array of counters.
 *
 * Bounded by construction: a slot exists only for the ids the site lists, fixed when the
 * broker starts, so no client (whatever ids or usernames it sends) can grow it. The count
 * is on the refusal path, which a flood drives at line rate: one Map lookup and one
 * increment, no string built and nothing allocated.
 */
export class DeviceRejectCounter<R extends string> {
  private readonly slotOf = new Map<string, number>();
  private readonly ids: string[];
  private readonly reasonIndex: Record<R, number>;
  private readonly counts: Float64Array;

  constructor(
    deviceIds: Iterable<string>,
    private readonly reasons: readonly R[],
  ) {
    this.ids = [...new Set(deviceIds)];
    this.ids.forEach((id, i) => this.slotOf.set(id, i));
    this.reasonIndex = Object.fromEntries(reasons.map((r, i) => [r, i])) as Record<R, number>;
    this.counts = new Float64Array(this.ids.length * reasons.length);
  }

  /** Counts one refusal of `deviceId`; ids the site does not list are not counted here. */
  add(deviceId: string, reason: R): void {
    const slot = this.slotOf.get(deviceId);
    const r = this.reasonIndex[reason];
    if (slot === undefined || r === undefined) return;
    this.counts[slot * this.reasons.length + r]!++;
  }

  /** One device's refusals by reason (only reasons with any). */
  of(deviceId: string): Partial<Record<R, number>> {
    const slot = this.slotOf.get(deviceId);
    return slot === undefined ? {} : this.row(slot);
  }

  /**
   * Devices with any refusal, those with the most first, at most `limit` of them; `omitted`
   * counts the rest. Taken when a status is built, never per message.
   */
  top(limit: number): { devices: Record<string, Partial<Record<R, number>>>; omitted: number } {
    const n = this.reasons.length;
    const totals: { slot: number; total: number }[] = [];
    for (let slot = 0; slot < this.ids.length; slot++) {
      let total = 0;
      for (let r = 0; r < n; r++) total += this.counts[slot * n + r]!;
      if (total > 0) totals.push({ slot, total });
    }
    totals.sort((a, b) => b.total - a.total || a.slot - b.slot);
    const devices: Record<string, Partial<Record<R, number>>> = {};
    for (const { slot } of totals.slice(0, Math.max(0, limit))) devices[this.ids[slot]!] = this.row(slot);
    return { devices, omitted: Math.max(0, totals.length - Math.max(0, limit)) };
  }

  private row(slot: number): Partial<Record<R, number>> {
    const out: Partial<Record<R, number>> = {};
    const n = this.reasons.length;
    for (let r = 0; r < n; r++) {
      const v = this.counts[slot * n + r]!;
      if (v > 0) out[this.reasons[r]!] = v;
    }
    return out;
  }
}

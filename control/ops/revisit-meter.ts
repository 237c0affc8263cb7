/** How many recent intervals the measured figures average over. */
const WINDOW = 200;

/**
 * Measured revisit interval of one patrol loop: every pass of a drone over a loop vertex
 * (MISSION_ITEM_REACHED for that vertex's item) is timed against the previous pass over
 * the same vertex by any drone (the revisit) and by the same drone (its lap). Pure: the
 * caller passes the times.
 */
export class RevisitMeter {
  private readonly lastPass = new Map<number, number>();
  private readonly lastPassBy = new Map<string, number>();
  private readonly revisits: number[] = [];
  private readonly laps: number[] = [];
  passes = 0;

  pass(droneId: string, vertex: number, tMs: number): void {
    this.passes++;
    const prev = this.lastPass.get(vertex);
    if (prev !== undefined && tMs > prev) push(this.revisits, (tMs - prev) / 1000);
    this.lastPass.set(vertex, tMs);
    const key = `${droneId}#${vertex}`;
    const mine = this.lastPassBy.get(key);
    if (mine !== undefined && tMs > mine) push(this.laps, (tMs - mine) / 1000);
    this.lastPassBy.set(key, tMs);
  }

  /** How many revisits the mean is over (the window keeps the last 200). */
  get revisitCount(): number {
    return this.revisits.length;
  }

  /** Mean time between passes over a point of the loop; undefined before any point was passed twice. */
  get revisitIntervalS(): number | undefined {
    return mean(this.revisits);
  }

  /** Mean time a drone takes to come round to the same point. */
  get lapS(): number | undefined {
    return mean(this.laps);
  }
}

function push(a: number[], v: number): void {
  a.push(v);
  if (a.length > WINDOW) a.shift();
}

function mean(a: number[]): number | undefined {
  return a.length === 0 ? undefined : a.reduce((s, v) => s + v, 0) / a.length;
}

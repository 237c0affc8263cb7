/**
 * A token bucket: `ratePerS` tokens refill per second up to `burst`. Pure apart from
 * the injected clock, so tests can drive time.
 */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(
    readonly ratePerS: number,
    readonly burst: number,
    private readonly nowMs: () => number,
  ) {
    this.tokens = burst;
    this.lastMs = nowMs();
  }

  private refill(): void {
    const now = this.nowMs();
    if (now > this.lastMs) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastMs) * this.ratePerS) / 1000);
      this.lastMs = now;
    }
  }

  /** Takes one token if there is one. */
  take(): boolean {
    if (this.tokens < 1) this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until one whole token is available again (0 if one is). */
  msUntilToken(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.ratePerS);
  }
}

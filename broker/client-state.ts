import type { Client } from 'aedes';
import { identityLabel, type Identity, type IdentityLabel } from './identity.ts';
import type { BrokerLimits } from './limits.ts';
import { TokenBucket } from './token-bucket.ts';

/**
 * What the broker keeps per authenticated connection: who it is and its rate buckets.
 * Also the "pause": while a client is over its rate, the completion callbacks of its
 * dropped publishes are held back. aedes reads the next chunk from a socket only when
 * every packet of the previous chunk has completed, so holding them leaves the
 * flooder's bytes in the kernel buffer and TCP pushes back on the sender, instead of
 * the broker parsing (and queueing) everything it can read.
 */
const MIN_PAUSE_MS = 100;

export class ClientState {
  readonly label: IdentityLabel;
  readonly routine: TokenBucket;
  readonly priority: TokenBucket;
  private held: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly identity: Identity,
    limits: BrokerLimits,
    nowMs: () => number,
    private readonly maxPauseMs: number,
  ) {
    this.label = identityLabel(identity);
    const r = limits.routine[this.label];
    this.routine = new TokenBucket(r.ratePerS, r.burst, nowMs);
    this.priority = new TokenBucket(limits.priority.ratePerS, limits.priority.burst, nowMs);
  }

  /**
   * Completes `done` once the bucket has a token again, but never sooner than
   * MIN_PAUSE_MS: a flooder refills one token every few ms, and re-reading its socket
   * that often would spend the broker's CPU parsing packets only to drop them.
   */
  holdUntilRefill(bucket: TokenBucket, done: () => void): void {
    this.held.push(done);
    if (this.timer) return;
    const waitMs = Math.min(this.maxPauseMs, Math.max(MIN_PAUSE_MS, bucket.msUntilToken()));
    this.timer = setTimeout(() => this.release(), waitMs);
  }

  release(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const held = this.held;
    this.held = [];
    for (const done of held) done();
  }
}

const states = new WeakMap<Client, ClientState>();

export function setClientState(client: Client, state: ClientState): void {
  states.set(client, state);
}

export function getClientState(client: Client | null | undefined): ClientState | undefined {
  return client ? states.get(client) : undefined;
}

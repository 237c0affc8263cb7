/**
 * Caps open connections in total and per source address, before any byte is parsed.
 * Pure bookkeeping: transports (or the core's handle()) ask `admit(address)` for each new
 * stream and call the returned release once it closes. Every connection costs a file
 * descriptor and parser state before authentication, so one host must not be able to
 * take them all; devices behind one NAT share an address, hence a generous per-address cap.
 */
export interface ConnectionCaps {
  maxConnections: number;
  maxConnectionsPerAddress: number;
}

export type Admission = { ok: true; release: () => void } | { ok: false; reason: 'total' | 'per_address'; message: string };

export class ConnectionGate {
  private total = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(private readonly caps: ConnectionCaps) {}

  admit(address: string | undefined): Admission {
    const key = address ?? 'unknown';
    if (this.total >= this.caps.maxConnections) return { ok: false, reason: 'total', message: `${this.total} connections open, limit ${this.caps.maxConnections}` };
    const mine = this.byAddress.get(key) ?? 0;
    if (mine >= this.caps.maxConnectionsPerAddress) {
      return { ok: false, reason: 'per_address', message: `${mine} connections open from ${key}, limit ${this.caps.maxConnectionsPerAddress}` };
    }
    this.total++;
    this.byAddress.set(key, mine + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        const left = (this.byAddress.get(key) ?? 1) - 1;
        if (left > 0) this.byAddress.set(key, left);
        else this.byAddress.delete(key);
      },
    };
  }

  get open(): number {
    return this.total;
  }
}

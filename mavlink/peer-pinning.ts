import { frameCrcOk, walkFrames } from './frames.ts';
import type { RejectReason } from './link.ts';
import { MSG_ID_RADIO_STATUS, checkSignedFrame, signingTimestamp } from './signing.ts';
import type { DatagramGate, UdpPeer } from './transports/udp.ts';

export interface PinnedSystemSpec {
  /** The system's signing key: a signed system pins (and re-pins) only on a correctly signed, fresh frame. */
  key?: Buffer;
}

export interface PeerPinningOptions {
  /** The system ids this endpoint serves. Frames of other ids pass through, for the link to refuse and count. */
  systems: ReadonlyMap<number, PinnedSystemSpec>;
  /** `udpout://`: every system is pinned to this address from the start and never re-pinned. */
  fixedPeer?: UdpPeer;
  /**
   * A signed system whose pinned address has been silent this long may move to a new
   * address that proves itself with a correctly signed frame (a vehicle or radio that
   * rebooted on another source port). Default 10 s. Unsigned systems never move: without a
   * signature nothing tells the real vehicle from someone using its system id.
   */
  repinAfterSilenceMs?: number;
  onReject(reason: RejectReason, sysid: number, source: string, detail: string): void;
  onPin?(sysid: number, peer: string, previous: string | undefined): void;
  /** Monotonic ms for the silence above (default performance.now). */
  nowMs?: () => number;
  /** Wall clock for the signing freshness window (default Date.now). */
  wallClockMs?: () => number;
}

interface Pin {
  peer: UdpPeer;
  key: string;
  lastHeardMs: number;
}

const keyOf = (p: UdpPeer) => `${p.host}:${p.port}`;

/**
 * Peer pinning for a UDP endpoint: each served system id is locked to the first address
 * that sends it a valid frame (a known message with a good CRC, and a correct, fresh
 * signature when the system has a key); frames claiming that id from any other address are
 * dropped and counted as `wrongPeer`. We send only to pinned addresses, so a stranger who
 * sends us one datagram does not start receiving our commands either.
 */
export class PeerPinning implements DatagramGate {
  private readonly pins = new Map<number, Pin>();
  private readonly repinAfterSilenceMs: number;
  private readonly nowMs: () => number;
  private readonly wallClockMs: () => number;
  private readonly fixedKey: string | undefined;

  constructor(private readonly opts: PeerPinningOptions) {
    this.repinAfterSilenceMs = opts.repinAfterSilenceMs ?? 10_000;
    this.nowMs = opts.nowMs ?? (() => performance.now());
    this.wallClockMs = opts.wallClockMs ?? Date.now;
    this.fixedKey = opts.fixedPeer ? keyOf(opts.fixedPeer) : undefined;
  }

  /** The address a system is pinned to, as host:port. */
  pinnedPeer(sysid: number): string | undefined {
    return this.fixedKey ?? this.pins.get(sysid)?.key;
  }

  targets(): readonly UdpPeer[] {
    if (this.opts.fixedPeer) return [this.opts.fixedPeer];
    const seen = new Map<string, UdpPeer>();
    for (const p of this.pins.values()) seen.set(p.key, p.peer);
    return [...seen.values()];
  }

  admit(datagram: Buffer, from: UdpPeer): Buffer | undefined {
    const fixed = this.opts.fixedPeer;
    if (fixed && from.port === fixed.port && from.host === fixed.host) return datagram; // the hot path
    const fromKey = keyOf(from);
    if (this.fixedKey !== undefined) {
      walkFrames(datagram, (f) => this.opts.onReject('wrongPeer', f.sysid, fromKey, `frame from system ${f.sysid} sent from ${fromKey}, not the configured peer ${this.fixedKey}`));
      return undefined;
    }
    const now = this.nowMs();
    let kept: Buffer[] | undefined;
    let dropped = false;
    walkFrames(datagram, (f) => {
      const frame = datagram.subarray(f.offset, f.offset + f.length);
      const ok = this.admitFrame(frame, f.sysid, f.msgid, from, fromKey, now);
      if (ok) (kept ??= []).push(frame);
      else dropped = true;
    });
    if (!dropped) return datagram;
    return kept ? Buffer.concat(kept) : undefined;
  }

  private admitFrame(frame: Buffer, sysid: number, msgid: number, from: UdpPeer, fromKey: string, now: number): boolean {
    const spec = this.opts.systems.get(sysid);
    if (!spec) return true;
    const pin = this.pins.get(sysid);
    if (pin && pin.key === fromKey) {
      pin.lastHeardMs = now;
      return true;
    }
    const silentMs = pin ? now - pin.lastHeardMs : 0;
    if (pin && !(spec.key && silentMs >= this.repinAfterSilenceMs)) {
      this.opts.onReject('wrongPeer', sysid, fromKey, `frame from system ${sysid} sent from ${fromKey}; the system is pinned to ${pin.key}`);
      return false;
    }
    // Not pinned yet (or a signed system's pinned address has gone silent): trust this
    // address only on a frame that proves itself. RADIO_STATUS never pins: the spec lets it
    // travel unsigned, so it proves nothing.
    if (msgid === MSG_ID_RADIO_STATUS) return !pin;
    if (!frameCrcOk(frame, msgid)) return !pin; // the splitter counts it as invalid; it pins nothing
    if (spec.key) {
      const refused = checkSignedFrame(frame, msgid, spec.key, signingTimestamp(this.wallClockMs()));
      if (refused) {
        this.opts.onReject(pin ? 'wrongPeer' : refused, sysid, fromKey, `frame from system ${sysid} sent from ${fromKey} cannot pin it: ${refused}`);
        return false;
      }
    }
    this.pins.set(sysid, { peer: from, key: fromKey, lastHeardMs: now });
    this.opts.onPin?.(sysid, fromKey, pin?.key);
    return true;
  }
}

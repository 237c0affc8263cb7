import { describe, expect, it } from 'vitest';
import { MavLinkProtocolV2 } from 'node-mavlink';
import { PeerPinning, type PeerPinningOptions } from '../../mavlink/peer-pinning.ts';
import { FrameSigner, IFLAG_SIGNED } from '../../mavlink/signing.ts';
import type { RejectReason } from '../../mavlink/link.ts';
import { copterHeartbeat } from '../helpers/copter-heartbeat.ts';

const KEY = Buffer.alloc(32, 0x5a);
const A = { host: '10.0.0.2', port: 14550 };
const B = { host: '10.0.0.9', port: 40000 };

const heartbeat = () => copterHeartbeat(4);
const plain = (sysid: number) => new MavLinkProtocolV2(sysid, 1).serialize(heartbeat(), 0);
const signedBy = (sysid: number, key: Buffer, wallMs = Date.now()) =>
  new FrameSigner({ key, linkId: 0, wallClockMs: () => wallMs }).sign(new MavLinkProtocolV2(sysid, 1, IFLAG_SIGNED).serialize(heartbeat(), 0));

function gate(systems: PeerPinningOptions['systems'], extra: Partial<PeerPinningOptions> = {}) {
  let now = 0;
  const rejects: { reason: RejectReason; sysid: number }[] = [];
  const g = new PeerPinning({ systems, nowMs: () => now, onReject: (reason, sysid) => rejects.push({ reason, sysid }), ...extra });
  return { g, rejects, advance: (ms: number) => (now += ms) };
}

describe('PeerPinning', () => {
  it('pins an unsigned system to its first address and never moves it', () => {
    const { g, rejects, advance } = gate(new Map([[1, {}]]));
    expect(g.admit(plain(1), A)).toBeDefined();
    expect(g.pinnedPeer(1)).toBe('10.0.0.2:14550');
    expect(g.admit(plain(1), B)).toBeUndefined();
    advance(3_600_000); // an hour of silence from A still does not let B in
    expect(g.admit(plain(1), B)).toBeUndefined();
    expect(rejects).toEqual([
      { reason: 'wrongPeer', sysid: 1 },
      { reason: 'wrongPeer', sysid: 1 },
    ]);
    expect(g.targets()).toEqual([A]);
  });

  it('pins a signed system only on a correct, fresh signature, and moves it after the pinned address falls silent', () => {
    const { g, rejects, advance } = gate(new Map([[1, { key: KEY }]]), { repinAfterSilenceMs: 10_000 });
    expect(g.admit(plain(1), B)).toBeUndefined();
    expect(g.admit(signedBy(1, Buffer.alloc(32, 1)), B)).toBeUndefined();
    expect(g.admit(signedBy(1, KEY, Date.now() - 120_000), B)).toBeUndefined();
    expect(rejects.map((r) => r.reason)).toEqual(['unsigned', 'badSignature', 'replay']);
    expect(g.pinnedPeer(1)).toBeUndefined();
    expect(g.admit(signedBy(1, KEY), A)).toBeDefined();
    expect(g.pinnedPeer(1)).toBe('10.0.0.2:14550');
    advance(9_000);
    expect(g.admit(signedBy(1, KEY), B)).toBeUndefined(); // A spoke 9 s ago: B is refused
    advance(2_000);
    expect(g.admit(plain(1), B)).toBeUndefined(); // silent long enough, but unsigned proves nothing
    expect(g.admit(signedBy(1, KEY), B)).toBeDefined(); // the vehicle came back on another port
    expect(g.pinnedPeer(1)).toBe('10.0.0.9:40000');
    expect(g.admit(signedBy(1, KEY), A)).toBeUndefined();
  });

  it('filters frame by frame: a router datagram keeps the frames of systems it speaks for', () => {
    const { g } = gate(new Map([[1, {}], [2, {}]]));
    expect(g.admit(plain(2), B)).toBeDefined(); // system 2 pinned to B
    const mixed = Buffer.concat([plain(1), plain(2), plain(42)]);
    const passed = g.admit(mixed, A)!; // system 1 pins to A; system 2 is B's; 42 is left for the link to refuse
    expect(passed.equals(Buffer.concat([plain(1), plain(42)]))).toBe(true);
    expect(g.targets()).toEqual([B, A]);
  });

  it('does not pin on a corrupted frame', () => {
    const { g } = gate(new Map([[1, {}]]));
    const bad = plain(1);
    bad.writeUInt8(bad.readUInt8(bad.length - 1) ^ 0xff, bad.length - 1);
    g.admit(bad, B);
    expect(g.pinnedPeer(1)).toBeUndefined();
    g.admit(plain(1), A);
    expect(g.pinnedPeer(1)).toBe('10.0.0.2:14550');
  });

  it('with a fixed peer (udpout://) passes only that address', () => {
    const { g, rejects } = gate(new Map([[1, {}]]), { fixedPeer: A });
    const d = plain(1);
    expect(g.admit(d, A)).toBe(d);
    expect(g.admit(d, B)).toBeUndefined();
    expect(rejects).toEqual([{ reason: 'wrongPeer', sysid: 1 }]);
    expect(g.targets()).toEqual([A]);
  });
});

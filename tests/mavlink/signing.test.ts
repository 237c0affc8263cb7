import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { common, MavLinkProtocolV2, type MavLinkData } from 'node-mavlink';
import { FrameSigner, IFLAG_SIGNED, parseSigningKey, SignatureVerifier, signatureOf } from '../../mavlink/signing.ts';
import { copterHeartbeat } from '../helpers/copter-heartbeat.ts';

const KEY = createHash('sha256').update('ringwatch security test key').digest();
const EPOCH_MS = Date.UTC(2015, 0, 1);

const heartbeat = () => copterHeartbeat(4);

const signed = (msg: MavLinkData, signer: FrameSigner, sysid = 1, seq = 0) => signer.sign(new MavLinkProtocolV2(sysid, 1, IFLAG_SIGNED).serialize(msg, seq));

/**
 * Produced by the MAVLink C library (mavlink_helpers.h as generated in ArduPilot's SITL
 * build): mavlink_msg_heartbeat_pack_chan(1, 1, ...) with signing on, link id 0, timestamp
 * 300000000000 and KEY, then mavlink_msg_to_send_buffer.
 */
const C_LIBRARY_FRAME = 'fd0901000001010000000400000002030103038f0f0000b864d945007348cc7164e2';

describe('MAVLink 2 signing', () => {
  it('signs byte for byte as the MAVLink C library does, and accepts its frame', () => {
    const wallMs = EPOCH_MS + 3e9; // 300000000000 in 10 µs units
    const ours = signed(heartbeat(), new FrameSigner({ key: KEY, linkId: 0, wallClockMs: () => wallMs }));
    expect(ours.toString('hex')).toBe(C_LIBRARY_FRAME);
    const v = new SignatureVerifier({ wallClockMs: () => wallMs });
    expect(v.verify(Buffer.from(C_LIBRARY_FRAME, 'hex'), 1, 1, 0, KEY)).toBeUndefined();
  });

  it('keeps timestamps strictly increasing within one ms and when the wall clock steps back', () => {
    let wall = Date.now();
    const s = new FrameSigner({ key: KEY, linkId: 3, wallClockMs: () => wall });
    const t = () => signatureOf(signed(heartbeat(), s))!.timestamp;
    const a = t();
    const b = t();
    wall -= 5_000;
    const c = t();
    expect(b).toBe(a + 1);
    expect(c).toBe(b + 1);
    expect(signatureOf(signed(heartbeat(), s))!.linkId).toBe(3);
  });

  it('refuses replays per (system, component, link id) stream, and new streams more than a minute off', () => {
    let wall = Date.now();
    const v = new SignatureVerifier({ wallClockMs: () => wall });
    const s0 = new FrameSigner({ key: KEY, linkId: 0, wallClockMs: () => wall });
    const first = signed(heartbeat(), s0);
    const second = signed(heartbeat(), s0);
    expect(v.verify(second, 1, 1, 0, KEY)).toBeUndefined();
    expect(v.verify(second, 1, 1, 0, KEY)).toBe('replay'); // the same frame again
    expect(v.verify(first, 1, 1, 0, KEY)).toBe('replay'); // an older one
    // Another link id is another stream: its own first frame is fine.
    const s1 = new FrameSigner({ key: KEY, linkId: 1, wallClockMs: () => wall });
    expect(v.verify(signed(heartbeat(), s1), 1, 1, 0, KEY)).toBeUndefined();
    // A new stream more than a minute behind or ahead of our clock.
    const old = new FrameSigner({ key: KEY, linkId: 2, wallClockMs: () => wall - 61_000 });
    const ahead = new FrameSigner({ key: KEY, linkId: 4, wallClockMs: () => wall + 61_000 });
    expect(v.verify(signed(heartbeat(), old), 1, 1, 0, KEY)).toBe('replay');
    expect(v.verify(signed(heartbeat(), ahead), 1, 1, 0, KEY)).toBe('replay');
    // Within the minute is fine; an established stream may run behind our clock.
    const late = new FrameSigner({ key: KEY, linkId: 5, wallClockMs: () => wall - 59_000 });
    expect(v.verify(signed(heartbeat(), late), 1, 1, 0, KEY)).toBeUndefined();
    wall += 600_000;
    expect(v.verify(signed(heartbeat(), late), 1, 1, 0, KEY)).toBeUndefined();
  });

  it('refuses unsigned frames and wrong signatures; RADIO_STATUS may come unsigned', () => {
    const v = new SignatureVerifier();
    expect(v.verify(new MavLinkProtocolV2(1, 1).serialize(heartbeat(), 0), 1, 1, 0, KEY)).toBe('unsigned');
    const other = signed(heartbeat(), new FrameSigner({ key: Buffer.alloc(32, 7), linkId: 0 }));
    expect(v.verify(other, 1, 1, 0, KEY)).toBe('badSignature');
    const tampered = signed(heartbeat(), new FrameSigner({ key: KEY, linkId: 0 }));
    tampered.writeUInt8(tampered.readUInt8(12) ^ 0x01, 12); // custom mode changed in flight (CRC aside, the signature catches it)
    expect(v.verify(tampered, 1, 1, 0, KEY)).toBe('badSignature');
    const rs = new common.RadioStatus();
    expect(v.verify(new MavLinkProtocolV2(51, 68).serialize(rs, 0), 51, 68, common.RadioStatus.MSG_ID, KEY)).toBeUndefined();
  });

  it('reads keys as 64 hex digits and never repeats a bad key in its message', () => {
    expect(parseSigningKey('ab'.repeat(32), 'k').equals(Buffer.alloc(32, 0xab))).toBe(true);
    const secret = 'zz'.repeat(32);
    expect(() => parseSigningKey(secret, 'mavlinkKeys.k1')).toThrow(/mavlinkKeys\.k1: .*64 hex digits/);
    try {
      parseSigningKey(secret, 'x');
    } catch (err) {
      expect((err as Error).message).not.toContain(secret);
    }
    expect(() => new FrameSigner({ key: Buffer.alloc(16), linkId: 0 })).toThrow(/32 bytes/);
  });
});

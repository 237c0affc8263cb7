import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MavLinkProtocolV1, MavLinkProtocolV2, minimal, type MavLinkData } from 'node-mavlink';
import { GcsHeartbeatFrames } from '../../mavlink/link-thread/gcs-heartbeat.ts';
import { HeardStampsReader, HeartbeatStamper, newStampsBuffer } from '../../mavlink/link-thread/heard-stamps.ts';
import { FrameSigner, IFLAG_SIGNED, SignatureVerifier, signatureOf } from '../../mavlink/signing.ts';
import { copterHeartbeat } from '../helpers/copter-heartbeat.ts';

const KEY = createHash('sha256').update('ringwatch stamps test key').digest();
const OTHER_KEY = Buffer.alloc(32, 9);
const NOW_MS = Date.UTC(2026, 0, 1);

const plain = (msg: MavLinkData, sysid = 1, compid = 1) => new MavLinkProtocolV2(sysid, compid).serialize(msg, 0);
const signed = (msg: MavLinkData, signer: FrameSigner, sysid = 1, compid = 1) => signer.sign(new MavLinkProtocolV2(sysid, compid, IFLAG_SIGNED).serialize(msg, 0));

function stamper(systems: [number, Buffer | undefined][], framing: 'datagram' | 'stream' = 'datagram') {
  const buf = newStampsBuffer();
  let now = NOW_MS;
  const s = new HeartbeatStamper(buf, { systems: new Map(systems), autopilotComponentId: 1, framing, wallClockMs: () => now });
  return { s, read: new HeardStampsReader(buf), tick: (ms: number) => (now += ms) };
}

describe('heard stamps (the link thread’s note of each system’s last good heartbeat)', () => {
  it('stamps an unsigned system’s autopilot heartbeat, and nothing the main thread would not count', () => {
    const { s, read, tick } = stamper([[1, undefined]]);
    const gcs = new minimal.Heartbeat();
    gcs.type = minimal.MavType.GCS;
    gcs.autopilot = minimal.MavAutopilot.INVALID;
    s.take(plain(gcs));
    s.take(plain(copterHeartbeat(), 1, 100)); // a camera's heartbeat on the same system
    s.take(plain(copterHeartbeat(), 2)); // a system this endpoint does not serve
    const corrupt = plain(copterHeartbeat());
    corrupt[corrupt.length - 1]! ^= 0xff;
    s.take(corrupt);
    expect(read.heardAtMs(1)).toBeUndefined();
    expect(read.heardAtMs(2)).toBeUndefined();
    s.take(plain(copterHeartbeat()));
    expect(read.heardAtMs(1)).toBe(NOW_MS);
    tick(500);
    s.take(new MavLinkProtocolV1(1, 1).serialize(copterHeartbeat(), 1)); // MAVLink 1 counts too, unsigned
    expect(read.heardAtMs(1)).toBe(NOW_MS + 500);
  });

  it('stamps a signed system only on a correctly signed, fresh, not replayed heartbeat', () => {
    const { s, read, tick } = stamper([[1, KEY]]);
    s.take(plain(copterHeartbeat()));
    s.take(signed(copterHeartbeat(), new FrameSigner({ key: OTHER_KEY, linkId: 0, wallClockMs: () => NOW_MS })));
    s.take(signed(copterHeartbeat(), new FrameSigner({ key: KEY, linkId: 0, wallClockMs: () => NOW_MS - 120_000 }))); // stale for a new stream
    expect(read.heardAtMs(1)).toBeUndefined();
    const good = signed(copterHeartbeat(), new FrameSigner({ key: KEY, linkId: 0, wallClockMs: () => NOW_MS }));
    s.take(good);
    expect(read.heardAtMs(1)).toBe(NOW_MS);
    tick(2000);
    s.take(good); // the same frame again: a replay keeps no dead vehicle alive
    expect(read.heardAtMs(1)).toBe(NOW_MS);
  });

  it('finds heartbeats cut across chunks of a byte stream (TCP)', () => {
    const { s, read } = stamper([[1, undefined]], 'stream');
    const bytes = Buffer.concat([Buffer.from([0x00, 0x13]), plain(copterHeartbeat())]);
    s.take(bytes.subarray(0, 9));
    expect(read.heardAtMs(1)).toBeUndefined();
    s.take(bytes.subarray(9));
    expect(read.heardAtMs(1)).toBe(NOW_MS);
  });
});

describe('the link thread’s GCS heartbeat frames', () => {
  it('sends one per distinct key on its own signing link id, plus an unsigned one when asked', () => {
    const frames = new GcsHeartbeatFrames(
      { systemId: 255, componentId: 190, intervalMs: 1000, signingLinkId: 1, keys: [KEY, Buffer.from(KEY), OTHER_KEY], unsigned: true },
      () => NOW_MS,
    );
    const beat = frames.next();
    expect(beat).toHaveLength(3);
    // Each vehicle checks with its own key and replay state.
    const verifier = new SignatureVerifier({ wallClockMs: () => NOW_MS });
    expect(signatureOf(beat[0]!)?.linkId).toBe(1);
    expect(verifier.verify(beat[0]!, 255, 190, 0, KEY)).toBeUndefined();
    expect(new SignatureVerifier({ wallClockMs: () => NOW_MS }).verify(beat[1]!, 255, 190, 0, OTHER_KEY)).toBeUndefined();
    expect(signatureOf(beat[2]!)).toBeUndefined();
    // The next beat is newer on the same stream (no replay), and the sequence moves on.
    const again = frames.next();
    expect(verifier.verify(again[0]!, 255, 190, 0, KEY)).toBeUndefined();
    expect(again[0]![4]).toBe(3);
  });
});

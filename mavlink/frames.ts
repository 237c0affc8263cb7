import { MSG_ID_MAGIC_NUMBER, x25crc } from 'node-mavlink';
import { IFLAG_SIGNED, SIGNATURE_LENGTH } from './signing.ts';

/** Where one frame sits inside a datagram, and the header fields a gate needs. */
export interface FrameView {
  offset: number;
  length: number;
  sysid: number;
  compid: number;
  msgid: number;
}

/**
 * Walks the MAVLink 1 and 2 frames of one UDP datagram (ArduPilot, PX4 and mavlink-router
 * put whole frames in each datagram, never one frame across two). Bytes that do not start
 * a frame are skipped one at a time, as node-mavlink's splitter does; a truncated frame at
 * the end ends the walk. Reads headers only: cheap enough for every datagram.
 *
 * Returns where the walk stopped: `buf.length`, or the start of a frame cut off at the end
 * (on a byte stream such as TCP, the caller keeps those bytes for the next chunk).
 */
export function walkFrames(buf: Buffer, visit: (f: FrameView) => void): number {
  let i = 0;
  while (i < buf.length) {
    const stx = buf[i];
    if (stx === 0xfd && i + 10 <= buf.length) {
      const len = 12 + buf[i + 1]! + ((buf[i + 2]! & IFLAG_SIGNED) !== 0 ? SIGNATURE_LENGTH : 0);
      if (i + len > buf.length) return i;
      visit({ offset: i, length: len, sysid: buf[i + 5]!, compid: buf[i + 6]!, msgid: buf.readUIntLE(i + 7, 3) });
      i += len;
    } else if (stx === 0xfe && i + 6 <= buf.length) {
      const len = 8 + buf[i + 1]!;
      if (i + len > buf.length) return i;
      visit({ offset: i, length: len, sysid: buf[i + 3]!, compid: buf[i + 4]!, msgid: buf[i + 5]! });
      i += len;
    } else if (stx === 0xfd || stx === 0xfe) {
      return i;
    } else {
      i++;
    }
  }
  return i;
}

/** True when the frame's CRC is right for a message id we know (an unknown id cannot be checked, so it is not trusted). */
export function frameCrcOk(frame: Buffer, msgid: number): boolean {
  const magic = (MSG_ID_MAGIC_NUMBER as Record<number, number | undefined>)[msgid];
  if (magic === undefined) return false;
  const signed = frame[0] === 0xfd && (frame[2]! & IFLAG_SIGNED) !== 0;
  const crcAt = frame.length - 2 - (signed ? SIGNATURE_LENGTH : 0);
  return x25crc(frame, 1, frame.length - crcAt, magic) === frame.readUInt16LE(crcAt);
}

import { Duplex, PassThrough } from 'node:stream';

/** Two Duplex ends joined back to back, as in aedes' own tests: what one writes, the other reads. */
export function duplexPair(): [Duplex, Duplex] {
  const aToB = new PassThrough();
  const bToA = new PassThrough();
  return [Duplex.from({ readable: bToA, writable: aToB }), Duplex.from({ readable: aToB, writable: bToA })];
}

import { expect, test } from 'vitest';
import { TokenBucket } from '../../broker/token-bucket.ts';

test('a token bucket allows its burst, then refills at its rate, never above the burst', () => {
  let now = 1_000;
  const b = new TokenBucket(10, 3, () => now);
  expect([b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false]);
  expect(b.msUntilToken()).toBe(100);
  now += 100;
  expect([b.take(), b.take()]).toEqual([true, false]);
  now += 10_000;
  expect([b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false]);
});

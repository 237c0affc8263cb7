import { describe, expect, it } from 'vitest';
import { ConnectionAdmission } from '../../control/api/connection-admission.ts';

describe('ConnectionAdmission: who stays when the API is full', () => {
  it('refuses a source over its own cap, whatever room there is', () => {
    const a = new ConnectionAdmission<number>({ maxTotal: 10, maxPerSource: 2 });
    expect(a.admit(1, 'x')).toEqual({ admit: true });
    expect(a.admit(2, 'x')).toEqual({ admit: true });
    expect(a.admit(3, 'x')).toEqual({ admit: false, reason: 'source_cap' });
    a.closed(1);
    expect(a.admit(4, 'x')).toEqual({ admit: true });
  });

  it('when full, closes the oldest connection that never sent a request head', () => {
    const a = new ConnectionAdmission<number>({ maxTotal: 3, maxPerSource: 3 });
    a.admit(1, 'slow');
    a.admit(2, 'slow');
    a.admit(3, 'op');
    a.served(3);
    expect(a.admit(4, 'new')).toEqual({ admit: true, evict: 1 });
    expect(a.admit(5, 'new')).toEqual({ admit: true, evict: 2 });
    // 4 is now the oldest waiting one; 3 (served) is never taken while someone waits.
    expect(a.admit(6, 'other')).toEqual({ admit: true, evict: 4 });
    expect(a.open).toBe(3);
  });

  it('with only served connections, takes the oldest of a source holding more than the newcomer would', () => {
    const a = new ConnectionAdmission<number>({ maxTotal: 4, maxPerSource: 10 });
    for (const k of [1, 2, 3]) {
      a.admit(k, 'heavy');
      a.served(k);
    }
    a.admit(4, 'op');
    a.served(4);
    expect(a.admit(5, 'new')).toEqual({ admit: true, evict: 1 });
    a.served(5);
    // heavy 2, op 1, new 1: a second connection from "new" would make it 2, as heavy: refused.
    expect(a.admit(6, 'new')).toEqual({ admit: false, reason: 'full' });
    // A third source with none yet still gets one, from the heaviest.
    expect(a.admit(7, 'third')).toEqual({ admit: true, evict: 2 });
  });

  it('forgets an evicted or closed connection once, and a late served() of it is harmless', () => {
    const a = new ConnectionAdmission<number>({ maxTotal: 1, maxPerSource: 1 });
    a.admit(1, 'a');
    expect(a.admit(2, 'b')).toEqual({ admit: true, evict: 1 });
    a.served(1);
    a.closed(1);
    expect(a.open).toBe(1);
    // Source a holds nothing any more: it may connect again (making room from b, still waiting).
    expect(a.admit(3, 'a')).toEqual({ admit: true, evict: 2 });
  });
});

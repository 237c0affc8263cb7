import type { LiveStore } from './live-store.ts';
import type { LiveEvent } from './types.ts';

/**
 * The `/api/live` server-sent event stream into the store. EventSource reconnects by
 * itself (the server asks for 2 s); each `batch` is queued for the next frame.
 */
export function startLive(store: LiveStore, o: { onState(state: 'ok' | 'connecting' | 'down'): void }): { close(): void } {
  const es = new EventSource('/api/live', { withCredentials: true });
  es.addEventListener('open', () => o.onState('ok'));
  es.addEventListener('error', () => o.onState(es.readyState === EventSource.CLOSED ? 'down' : 'down'));
  es.addEventListener('batch', (e) => {
    const receivedMs = Date.now();
    try {
      store.enqueue(JSON.parse((e as MessageEvent<string>).data) as LiveEvent[], receivedMs);
    } catch {
      // A malformed batch is dropped; the next one carries fresh state.
    }
  });
  return { close: () => es.close() };
}

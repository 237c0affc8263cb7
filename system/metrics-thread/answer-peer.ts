import type { MessagePort } from 'node:worker_threads';
import type { LagSnapshot } from '../../util/event-loop-lag.ts';
import type { MetricsJson } from '../broker-thread/messages.ts';
import { parseToPeer, type FromPeer, type PeerPart, type PeerReply } from './peer-messages.ts';

/** What a thread serves the metrics thread: its series, its own lag, the parts it judges. */
export interface PeerAnswers {
  metrics(): Promise<MetricsJson>;
  lag(): LagSnapshot;
  health(): Record<string, PeerPart>;
}

/**
 * Answers the metrics thread's requests on `port` (main and the broker thread each call
 * this on the port they were handed). The port is unref'd: answering scrapes must not
 * keep a thread alive at shutdown. Returns a function that closes the port.
 */
export function answerPeerRequests(port: MessagePort, answers: PeerAnswers, onRefused: (err: Error) => void): () => void {
  port.on('message', (raw: unknown) => {
    const m = parseToPeer(raw);
    if (m instanceof Error) return onRefused(m);
    const reply = (r: PeerReply) => port.postMessage({ kind: 'peer-reply', id: m.id, reply: r } satisfies FromPeer);
    const what = m.request.what;
    if (what === 'ping') reply({ what: 'pong' });
    else if (what === 'health') {
      try {
        reply({ what: 'health', parts: answers.health() });
      } catch (err) {
        reply({ what: 'error', message: (err as Error).message });
      }
    } else
      answers.metrics().then(
        (metrics) => reply({ what: 'metrics', metrics, lag: answers.lag() }),
        (err: Error) => reply({ what: 'error', message: err.message }),
      );
  });
  port.unref();
  return () => port.close();
}

import type { MessagePort } from 'node:worker_threads';
import { WorkerRequests } from '../threads/worker-requests.ts';
import { parseFromPeer, type PeerReply, type PeerRequest, type ToPeer } from './peer-messages.ts';

/**
 * The metrics thread's end of one peer's port: requests with a deadline, and when the
 * peer last said anything at all (a late answer still proves it is alive again).
 */
export class PeerLink {
  private readonly requests: WorkerRequests<PeerRequest, PeerReply>;
  lastHeardMs: number;

  constructor(
    private readonly port: MessagePort,
    onRefused: (err: Error) => void,
    nowMs: () => number = Date.now,
  ) {
    this.lastHeardMs = nowMs();
    this.requests = new WorkerRequests<PeerRequest, PeerReply>(port, (id, request): ToPeer => ({ kind: 'peer-request', id, request }), 'close');
    port.on('message', (raw: unknown) => {
      const m = parseFromPeer(raw);
      if (m instanceof Error) return onRefused(m);
      this.lastHeardMs = nowMs();
      this.requests.answered(m.id, m.reply);
    });
    // Scrapes must not keep the thread alive; its HTTP server does that.
    port.unref();
  }

  /** The peer's answer, or undefined when it does not come within `deadlineMs` (or comes as an error). */
  async ask<W extends PeerReply['what']>(request: PeerRequest, what: W, deadlineMs: number): Promise<Extract<PeerReply, { what: W }> | undefined> {
    const r = await this.requests.ask(request, deadlineMs);
    return r?.what === what ? (r as Extract<PeerReply, { what: W }>) : undefined;
  }

  close(): void {
    this.requests.failAll();
    this.port.close();
  }
}

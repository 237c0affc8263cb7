import { request } from 'node:http';

export interface SseRead {
  /** The response's content type (`text/event-stream` for a live stream). */
  contentType: string | undefined;
  /** Everything received up to and including the first record of the event asked for. */
  text: string;
}

/**
 * Opens a server-sent event stream with a GET and reads it until the first `event:`
 * record named `event`, then closes it. `onOpen` runs once the response has begun (publish
 * there: a record sent before the stream opened is not one it will see). Rejects on a
 * connection error or after `timeoutMs` without that record.
 */
export function firstSseEvent(url: string, o: { headers: Record<string, string>; event: string; onOpen: () => void; timeoutMs?: number }): Promise<SseRead> {
  return new Promise<SseRead>((resolve, reject) => {
    const req = request(url, { headers: o.headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString();
        if (text.includes(`event: ${o.event}`)) {
          req.destroy();
          resolve({ contentType: res.headers['content-type'], text });
        }
      });
      o.onOpen();
    });
    req.on('error', reject);
    const ms = o.timeoutMs ?? 5000;
    req.setTimeout(ms, () => {
      req.destroy();
      reject(new Error(`no "${o.event}" record from ${url} within ${ms} ms`));
    });
    req.end();
  });
}

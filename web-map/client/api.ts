/** The control API over fetch, same origin (the session cookie rides along). */

export class ApiFailure extends Error {
  constructor(
    /** 0 = the server did not answer. */
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Reachability = (reachable: boolean) => void;

/** Named so tests and slow links can see it: a request that takes longer is abandoned. */
export const REQUEST_TIMEOUT_MS = 10_000;

export class Api {
  token: string | undefined;
  private readonly listeners = new Set<Reachability>();
  /** Called when the server says the session is gone (expired, revoked, signed out elsewhere). */
  onSessionEnded: (() => void) | undefined;
  /** True while a console is open; a 401 then means the session ended, not a failed login. */
  signedIn = false;

  onReachability(fn: Reachability): void {
    this.listeners.add(fn);
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers['authorization'] = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers,
        credentials: 'same-origin',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      for (const l of this.listeners) l(false);
      throw new ApiFailure(0, 'UNREACHABLE', (err as Error).message);
    }
    // A proxy in front of a stopped control service answers 502/503/504 itself.
    const proxyDown = res.status === 502 || res.status === 504;
    for (const l of this.listeners) l(!proxyDown);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const e = (json ?? {}) as { code?: string; message?: string };
      if (res.status === 401 && e.code === 'API_ERR_UNAUTHENTICATED' && this.signedIn) this.onSessionEnded?.();
      throw new ApiFailure(proxyDown ? 0 : res.status, e.code ?? `HTTP_${res.status}`, e.message ?? res.statusText);
    }
    return json as T;
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, body ?? {});
  }

  /** GET answered with bytes (an audio preview); a refusal is an ApiFailure as for JSON. */
  async getBlob(path: string): Promise<Blob> {
    const headers: Record<string, string> = {};
    if (this.token) headers['authorization'] = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(path, { headers, credentials: 'same-origin', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (err) {
      throw new ApiFailure(0, 'UNREACHABLE', (err as Error).message);
    }
    if (!res.ok) {
      const e = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
      throw new ApiFailure(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? res.statusText);
    }
    return res.blob();
  }

  /** GET that yields undefined when the route does not exist on this server (yet). */
  async optional<T>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (err) {
      if (err instanceof ApiFailure && (err.status === 404 || err.status === 503)) return undefined;
      throw err;
    }
  }
}

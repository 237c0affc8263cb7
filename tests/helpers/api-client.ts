/**
 * A logged-in client of ringwatch's HTTP API, as an operator's browser would be: log in
 * once, then JSON requests with the bearer token; a non-2xx answer throws with its body.
 * For tests that drive a running `ringwatch up` through its public interface only.
 */
export type ApiCall = <T>(path: string, init?: { method?: string; body?: unknown }) => Promise<T>;

export async function loginApi(apiUrl: string, username: string, password: string): Promise<ApiCall> {
  const login = await fetch(new URL('/api/login', apiUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!login.ok) throw new Error(`login as ${username}: ${login.status} ${await login.text()}`);
  const token = ((await login.json()) as { token: string }).token;
  return async <T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> => {
    const r = await fetch(new URL(path, apiUrl), {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${token}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${r.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { CHROMIUM, loginAs } from '../helpers/browser.ts';
import { startApiServer, type ApiServer, demo } from './http-fixture.ts';

// Issue 12, item 9 (HTTP side): HTTPS from certificate files, the session cookie
// marked Secure under TLS; checked with a throwaway CA and real clients.

let dir: string;
let ca: string;
let server: ApiServer;
let spki: string;

/** A throwaway CA and a server certificate for 127.0.0.1 signed by it, made with Debian's openssl. */
function makePki(d: string): { ca: string; cert: string; key: string; spki: string } {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: d, stdio: ['ignore', 'pipe', 'pipe'] });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=ringwatch test CA');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(d, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
  // Chromium is told to trust the server's public key (its test switch for a private PKI):
  // base64 of the SHA-256 of the DER SubjectPublicKeyInfo.
  const der = execFileSync('openssl', ['x509', '-in', 'server.pem', '-pubkey', '-noout'], { cwd: d });
  const pubDer = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { cwd: d, input: der });
  const hash = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: pubDer }).toString('base64');
  return { ca: readFileSync(join(d, 'ca.pem'), 'utf8'), cert: readFileSync(join(d, 'server.pem'), 'utf8'), key: readFileSync(join(d, 'server.key'), 'utf8'), spki: hash };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rw-tls-'));
  const pki = makePki(dir);
  ca = pki.ca;
  spki = pki.spki;
  server = await startApiServer({ http: { tls: { cert: pki.cert, key: pki.key } }, web: true });
}, 60_000);

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

function httpsCall(o: { path: string; method?: string; body?: string; ca?: string }): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port: server.port, path: o.path, method: o.method ?? 'GET', headers: o.body ? { 'content-type': 'application/json' } : {}, ...(o.ca ? { ca: o.ca } : {}), agent: false },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.setTimeout(20_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(o.body);
  });
}

describe('HTTPS with a throwaway CA', () => {
  it('Node with the CA logs in and gets a Secure, HttpOnly, SameSite=Strict session cookie and HSTS', async () => {
    const r = await httpsCall({ path: '/api/login', method: 'POST', body: JSON.stringify({ username: 'chief', password: demo.secrets.users!['chief']! }), ca });
    expect(r.status).toBe(200);
    const cookie = String(r.headers['set-cookie']?.find((c) => c.startsWith('rw_session=')));
    expect(cookie).toMatch(/;\s*Secure/i);
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(cookie).toMatch(/;\s*SameSite=Strict/i);
    expect(r.headers['strict-transport-security']).toMatch(/max-age=\d+/);
  });

  it('Node without the CA refuses the certificate; plain HTTP gets no API answer', async () => {
    await expect(httpsCall({ path: '/api/openapi.json' })).rejects.toThrow(/self[- ]signed|unable to (get|verify)|certificate/i);
    const plain = await new Promise<string>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port: server.port, path: '/api/openapi.json', agent: false }, (res) => resolve(`status ${res.statusCode}`));
      req.on('error', (e) => resolve(`error ${e.message}`));
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.end();
    });
    expect(plain).not.toMatch(/status 200/);
  });

  it('Chromium loads the console and the API docs over HTTPS under the CSP, signs in, and holds a Secure cookie', async () => {
    const profile = mkdtempSync(join(tmpdir(), 'rw-tls-chromium-'));
    let context: BrowserContext | undefined;
    try {
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--ignore-certificate-errors-spki-list=${spki}`],
      });
      const page = await context.newPage();
      const violations: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
      });
      await loginAs(page, `${server.url}/`, 'chief');
      expect(await page.getByTestId('whoami').getAttribute('data-role')).toBe('chief');
      const cookies = await context.cookies(server.url);
      const session = cookies.find((c) => c.name === 'rw_session');
      expect(session?.secure).toBe(true);
      expect(session?.httpOnly).toBe(true);
      expect(violations).toEqual([]);
      // The API docs (Swagger UI) render under their own, equally strict script policy.
      await page.goto(`${server.url}/api/docs/`);
      await expect.poll(() => page.locator('.opblock').count(), { timeout: 15_000 }).toBeGreaterThan(20);
      expect(violations).toEqual([]);
    } finally {
      await context?.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }, 90_000);
});

import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSecretsFile } from '../../site/secrets-file.ts';
import { loadSite } from '../../site/load.ts';
import { mavlinkSigningKeys } from '../../site/mavlink-keys.ts';

describe('MAVLink signing keys from the secrets', () => {
  it('the demo names a key for every drone, keeps the keys out of the site file, and the secrets hold them all', () => {
    const site = loadSite('sites/demo.yaml');
    const secrets = loadSecretsFile('sites/demo.secrets.yaml');
    const keys = mavlinkSigningKeys(site.drones, secrets);
    expect([...keys.keys()].sort()).toEqual(site.drones.map((d) => d.id).sort());
    for (const k of keys.values()) expect(k).toHaveLength(32);
    const siteText = readFileSync('sites/demo.yaml', 'utf8').toLowerCase();
    for (const hex of Object.values(secrets.mavlinkKeys!)) expect(siteText).not.toContain(hex.toLowerCase());
  });

  it('fails closed, naming the drone and key id, when a named key is missing', () => {
    const drones = [{ id: 'drone-9', mavlink: { url: 'udp://127.0.0.1:14550', systemId: 9, signing: { keyId: 'k9' } } }];
    expect(() => mavlinkSigningKeys(drones, { mavlinkKeys: {} })).toThrow('drone drone-9: its MAVLink signing key "k9" is not in the secrets file (mavlinkKeys.k9)');
    expect(() => mavlinkSigningKeys(drones, undefined)).toThrow(/k9/);
  });

  it('refuses a malformed key in the secrets file without repeating it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-keys-'));
    const file = join(dir, 's.secrets.yaml');
    const bad = 'not-a-key-but-a-secret-anyway-0123456789abcdef0123456789abcdef0';
    writeFileSync(file, `devices: {}\nservices: {}\nmavlinkKeys:\n  k1: ${bad}\n`);
    let message = '';
    try {
      loadSecretsFile(file);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/mavlinkKeys\/k1/);
    expect(message).not.toContain(bad);
  });
});

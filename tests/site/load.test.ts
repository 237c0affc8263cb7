import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { loadSite, parseSite, SiteError } from '../../site/load.ts';
import { loadSecretsFile } from '../../site/secrets-file.ts';
import { verifySecret } from '../../site/secrets.ts';

const demoText = readFileSync('sites/demo.yaml', 'utf8');

/** Loads the demo with one edit applied, returning the error it raises. */
function errorFor(edit: (doc: Record<string, any>) => void): SiteError {
  const doc = parse(demoText);
  edit(doc);
  try {
    parseSite(stringify(doc), 'edited.yaml');
  } catch (err) {
    if (err instanceof SiteError) return err;
    throw err;
  }
  throw new Error('expected the edited site to be refused');
}

describe('site model', () => {
  it('loads the demo site with the fleet the issue asks for', () => {
    const site = loadSite('sites/demo.yaml');
    expect(site.rings.map((r) => r.id)).toEqual(['containment', 'prevention', 'control']);
    expect(site.rings.map((r) => r.responseTargetS)).toEqual([60, 180, 300]);
    expect(site.drones.length).toBeGreaterThanOrEqual(6);
    expect(site.speakers.length + site.drones.filter((d) => d.speaker).length).toBeGreaterThanOrEqual(12);
    expect(site.speakers.length).toBeGreaterThanOrEqual(12);
    expect(site.checkpoints.length).toBeGreaterThanOrEqual(8);
    expect(new Set(site.users.map((u) => u.role))).toEqual(new Set(['operator', 'chief', 'engineer']));
    expect(site.devices.get('cp-1-anpr')).toEqual({ kind: 'sensor', id: 'cp-1-anpr', parentId: 'cp-1' });
    expect(site.devices.get('drone-1-spk')).toEqual({ kind: 'speaker', id: 'drone-1-spk', parentId: 'drone-1' });
  });

  it('stores only hashes, and the demo secrets match them', () => {
    const site = loadSite('sites/demo.yaml');
    const secrets = loadSecretsFile('sites/demo.secrets.yaml');
    const plain = [...Object.values(secrets.users!), ...Object.values(secrets.devices), ...Object.values(secrets.services)];
    for (const secret of plain) expect(demoText).not.toContain(secret);
    const chief = site.users.find((u) => u.username === 'chief')!;
    expect(verifySecret(secrets.users!['chief']!, chief.passwordHash)).toBe(true);
    expect(verifySecret('wrong', chief.passwordHash)).toBe(false);
    expect(verifySecret(secrets.devices['sp-1']!, site.credentials.devices['sp-1']!)).toBe(true);
    expect(verifySecret(secrets.devices['sp-2']!, site.credentials.devices['sp-1']!)).toBe(false);
    expect(verifySecret(secrets.services['control']!, site.credentials.services.control)).toBe(true);
  });

  it('names the file, path and line of a schema error', () => {
    const err = errorFor((d) => {
      d.rings[1].responseTargetS = 'soon';
    });
    expect(err.message).toMatch(/^edited\.yaml: \/rings\/1\/responseTargetS \(line \d+\): must be number/);
  });

  it('names a missing field and an unknown field', () => {
    expect(errorFor((d) => delete d.drones[0].dock).message).toContain('/drones/0/dock');
    expect(errorFor((d) => (d.speakers[2].colour = 'red')).message).toMatch(/\/speakers\/2 \(line \d+\): unknown property "colour"/);
  });

  it('refuses rings that are not nested', () => {
    const err = errorFor((d) => {
      d.rings[0].shape.radiusM = 5000;
    });
    expect(err.message).toContain('/rings/0/shape');
    expect(err.message).toContain('containment ring must lie inside the prevention ring');
  });

  it('refuses duplicate device ids, dangling references and missing credentials', () => {
    expect(errorFor((d) => (d.speakers[1].id = d.speakers[0].id)).message).toMatch(/\/speakers\/1\/id.*already used at \/speakers\/0\/id/);
    expect(errorFor((d) => (d.rings[2].defaultWarning = 'warn-nope')).message).toContain('no warning with id "warn-nope"');
    expect(errorFor((d) => delete d.credentials.devices['sp-3']).message).toContain('device "sp-3" has no entry in /credentials/devices');
    expect(errorFor((d) => (d.drones[1].mavlink.url = d.drones[0].mavlink.url, d.drones[1].mavlink.systemId = 1)).message).toContain(
      'system id 1',
    );
  });

  it('refuses a plain-text password', () => {
    expect(errorFor((d) => (d.users[0].passwordHash = 'hunter2')).message).toContain('/users/0/passwordHash');
  });

  it('reports YAML syntax errors with a line', () => {
    expect(() => parseSite('version: 1\nsite: [unclosed', 'bad.yaml')).toThrow(/bad\.yaml: \/ \(line \d+\): YAML/);
  });
});

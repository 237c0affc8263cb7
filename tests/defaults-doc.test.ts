import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PORTS } from '../protocol/ports.ts';
import { brokerCommand } from '../cli/commands/broker.ts';
import { upCommand } from '../cli/commands/up.ts';

/** The defaults are stated once (protocol/ports.ts); the docs and usage texts must say the same. */
describe('default ports', () => {
  const protocolDoc = readFileSync('docs/protocol.md', 'utf8');

  it('docs/protocol.md names the broker defaults', () => {
    expect(protocolDoc).toMatch(new RegExp(`MQTT over TCP \\| port ${DEFAULT_PORTS.mqtt} by default`));
    expect(protocolDoc).toMatch(new RegExp(`MQTT over WebSocket \\| port ${DEFAULT_PORTS.ws} by default`));
    expect(protocolDoc).toMatch(new RegExp(`mqtts on ${DEFAULT_PORTS.mqtts} and wss on ${DEFAULT_PORTS.wss}`));
  });

  it('the README names the console port', () => {
    expect(readFileSync('README.md', 'utf8')).toContain(`http://127.0.0.1:${DEFAULT_PORTS.http}/`);
  });

  it('ringwatch broker and ringwatch up say the same defaults', () => {
    for (const usage of [brokerCommand.usage, upCommand.usage]) {
      expect(usage).toMatch(new RegExp(`--mqtt-port N\\s+MQTT over TCP \\(default ${DEFAULT_PORTS.mqtt}`));
      expect(usage).toMatch(new RegExp(`--ws-port N\\s+MQTT over WebSocket.*\\(default ${DEFAULT_PORTS.ws}`));
      expect(usage).toContain(`(default ${DEFAULT_PORTS.mqtts}`);
      expect(usage).toContain(`(default ${DEFAULT_PORTS.wss}`);
    }
    expect(upCommand.usage).toContain(`(default ${DEFAULT_PORTS.http})`);
  });
});

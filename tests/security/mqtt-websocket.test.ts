import mqtt from 'mqtt';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { credentialsFor, startBroker, type TestBroker } from '../helpers/broker.ts';

/**
 * Issue 12 item 11: MQTT over WebSocket accepted upgrades that offered no subprotocol.
 * The client must offer "mqtt" [MQTT-6.0.0-3]; anything else is refused before the upgrade.
 */
let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => {
  await broker.close();
});

/** Resolves with the HTTP status of a refused upgrade, or the accepted subprotocol. */
function upgrade(protocols: string[] | undefined): Promise<{ status?: number; protocol?: string }> {
  return new Promise((resolve, reject) => {
    const ws = protocols ? new WebSocket(broker.wsUrl, protocols) : new WebSocket(broker.wsUrl);
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.once('open', () => {
      resolve({ protocol: ws.protocol });
      ws.terminate();
    });
    ws.once('error', (err) => (err.message.includes('Unexpected server response') ? undefined : reject(err)));
  });
}

describe('WebSocket subprotocol', () => {
  test.each([
    ['no subprotocol', undefined],
    ['only an unrelated one', ['chat']],
  ])('an upgrade offering %s is refused with 400', async (_name, protocols) => {
    expect(await upgrade(protocols)).toEqual({ status: 400 });
  });

  test('an upgrade offering "mqtt" (among others) is accepted and answered with "mqtt"', async () => {
    expect(await upgrade(['chat', 'mqtt'])).toEqual({ protocol: 'mqtt' });
  });

  test('mqtt.js over ws logs in and publishes', async () => {
    const c = await mqtt.connectAsync(broker.wsUrl, credentialsFor(broker, 'sp-5'));
    await c.publishAsync('ringwatch/v1/speaker/sp-5/telemetry', JSON.stringify({ tsMs: Date.now(), state: 'idle', volumePct: 30 }), { qos: 1 });
    await c.endAsync();
  });
});

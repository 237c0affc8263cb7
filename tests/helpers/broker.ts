import { pino } from 'pino';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { startBrokerServer, type BrokerLimits, type BrokerMetrics, type BrokerServer } from '../../broker/index.ts';
import { generateSecret, hashDeviceSecret, loadSecretsFile, loadSite, type SecretsFile, type Site } from '../../site/index.ts';

export interface StartBrokerOptions {
  /** Default: sites/demo.yaml. */
  site?: Site;
  /** Default: sites/demo.secrets.yaml. */
  secrets?: SecretsFile;
  limits?: Partial<BrokerLimits>;
  /** redis:// URL to cluster on. */
  redis?: string;
  /** Broker id (distinct per instance in a cluster). */
  id?: string;
  /** Log level; default silent (set RINGWATCH_TEST_LOG=debug to see broker logs). */
  logLevel?: string;
}

export interface TestBroker {
  /** mqtt://127.0.0.1:PORT */
  url: string;
  /** ws://127.0.0.1:PORT */
  wsUrl: string;
  port: number;
  wsPort: number;
  site: Site;
  secrets: SecretsFile;
  server: BrokerServer;
  metrics(): BrokerMetrics;
  close(): Promise<void>;
}

let demo: { site: Site; secrets: SecretsFile } | undefined;

/** The demo site and its plain secrets, loaded once per test file. */
export function demoSite(): { site: Site; secrets: SecretsFile } {
  demo ??= { site: loadSite('sites/demo.yaml'), secrets: loadSecretsFile('sites/demo.secrets.yaml') };
  return demo;
}

/** Starts a real broker (TCP + WebSocket) on free ports of 127.0.0.1. Always `close()` it. */
export async function startBroker(opts: StartBrokerOptions = {}): Promise<TestBroker> {
  const site = opts.site ?? demoSite().site;
  const secrets = opts.secrets ?? demoSite().secrets;
  const server = await startBrokerServer({
    site,
    host: '127.0.0.1',
    mqttPort: 0,
    wsPort: 0,
    logger: pino({ level: opts.logLevel ?? process.env['RINGWATCH_TEST_LOG'] ?? 'silent' }),
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.redis ? { redis: opts.redis } : {}),
    ...(opts.id ? { id: opts.id } : {}),
  });
  return {
    url: `mqtt://127.0.0.1:${server.mqttPort}`,
    wsUrl: `ws://127.0.0.1:${server.wsPort}`,
    port: server.mqttPort,
    wsPort: server.wsPort,
    site,
    secrets,
    server,
    metrics: () => server.metrics(),
    close: () => server.close(),
  };
}

/**
 * MQTT options for logging in as a device or service of the broker's site:
 * username = id, password = its secret, clientId = id (or `id:suffix` for services).
 */
export function credentialsFor(broker: Pick<TestBroker, 'secrets'>, id: string, clientSuffix?: string): IClientOptions {
  const password = broker.secrets.devices[id] ?? broker.secrets.services[id];
  if (password === undefined) throw new Error(`no secret for "${id}" in the secrets file`);
  return { username: id, password, clientId: clientSuffix ? `${id}:${clientSuffix}` : id, reconnectPeriod: 0, connectTimeout: 5_000 };
}

/** Connects an mqtt.js client as `id` and waits for CONNACK; rejects on refusal. */
export async function connectAs(
  broker: Pick<TestBroker, 'url' | 'secrets'>,
  id: string,
  extra: IClientOptions = {},
): Promise<MqttClient> {
  return mqtt.connectAsync(broker.url, { ...credentialsFor(broker, id), ...extra });
}

/**
 * The demo site gives MQTT secrets only to speakers and sensors (its drones speak
 * MAVLink through the control service). Returns a copy of the site and secrets in which
 * `droneId` also holds an MQTT secret, for testing drones with their own MQTT link.
 */
export function withDeviceSecret(site: Site, secrets: SecretsFile, deviceId: string): { site: Site; secrets: SecretsFile } {
  const secret = generateSecret();
  return {
    site: { ...site, credentials: { ...site.credentials, devices: { ...site.credentials.devices, [deviceId]: hashDeviceSecret(secret) } } },
    secrets: { ...secrets, devices: { ...secrets.devices, [deviceId]: secret } },
  };
}

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

/** Collects every message a client receives (in order). */
export function collect(client: MqttClient): Received[] {
  const got: Received[] = [];
  client.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain }));
  return got;
}

/** Resolves with the first message whose topic (and optionally payload) matches; rejects after `timeoutMs`. */
export function nextMessage(
  client: MqttClient,
  match: (m: Received) => boolean,
  timeoutMs = 5_000,
): Promise<Received> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', on);
      reject(new Error(`no matching message within ${timeoutMs} ms`));
    }, timeoutMs);
    function on(topic: string, payload: Buffer, packet: { retain: boolean }) {
      const m = { topic, payload: payload.toString(), retain: packet.retain };
      if (!match(m)) return;
      clearTimeout(timer);
      client.off('message', on);
      resolve(m);
    }
    client.on('message', on);
  });
}

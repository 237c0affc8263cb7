/**
 * Default ports and addresses, stated once. The broker, every command's defaults and
 * usage text, and docs/protocol.md (checked by tests/defaults-doc.test.ts) read these.
 * MQTT's 1883 and 8883 are IANA's; 8083/8084 for MQTT over WebSocket (plain/TLS) follow
 * common broker practice (EMQX, HiveMQ).
 */
export const DEFAULT_PORTS = {
  /** MQTT over TCP. */
  mqtt: 1883,
  /** MQTT over WebSocket (subprotocol `mqtt`). */
  ws: 8083,
  /** MQTT over TLS. */
  mqtts: 8883,
  /** MQTT over WebSocket over TLS. */
  wss: 8084,
  /** The control service's HTTP API and web console. */
  http: 8080,
} as const;

/** Where services on the broker's machine reach it by default. */
export const DEFAULT_MQTT_URL = `mqtt://127.0.0.1:${DEFAULT_PORTS.mqtt}`;

/** Where the control API is reached by default (`ringwatch web` proxies to it). */
export const DEFAULT_CONTROL_URL = `http://127.0.0.1:${DEFAULT_PORTS.http}`;

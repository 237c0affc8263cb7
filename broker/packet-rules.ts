import type { ConnectPacket, PublishPacket, SubscribePacket, UnsubscribePacket } from 'aedes';

/** The parsed packets the rules look at; others pass. */
type Packet = ConnectPacket | PublishPacket | SubscribePacket | UnsubscribePacket | { cmd: string };

/**
 * MQTT 3.1.1 rules that aedes' parser (mqtt-packet) lets through, checked on every parsed
 * packet before aedes handles it. A violation closes the connection without an answer
 * [MQTT-4.8.0-1], [MQTT-3.1.4-1]: the client is broken or hostile either way. Pure.
 *
 * Strings: mqtt-packet decodes UTF-8 leniently, so ill-formed input arrives as U+FFFD.
 * A U+FFFD is therefore refused too; no ringwatch id, username or topic contains one.
 */
export interface PacketViolation {
  statement: string;
  message: string;
}

const v = (statement: string, message: string): PacketViolation => ({ statement, message });

/** Why `s` is not an acceptable MQTT string, if it is not [MQTT-1.5.3-1], [MQTT-1.5.3-2]. */
function badString(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  if (s.includes('\u0000')) return 'contains U+0000';
  if (s.includes('\uFFFD')) return 'is not well-formed UTF-8';
  return undefined;
}

function checkConnect(p: ConnectPacket): PacketViolation | undefined {
  // mqtt-packet has no username flag to show, only the fields it read.
  if (p.password !== undefined && p.username === undefined) return v('MQTT-3.1.2-22', 'password flag set without the username flag');
  if (p.will && (p.will.qos as number) > 2) return v('MQTT-3.1.2-12', 'will QoS 3');
  for (const [field, value] of [['client id', p.clientId], ['username', p.username], ['will topic', p.will?.topic]] as const) {
    const bad = badString(value);
    if (bad) return v(field === 'client id' ? 'MQTT-3.1.3-4' : 'MQTT-1.5.3-1', `${field} ${bad}`);
  }
  if (p.will && p.will.topic.length === 0) return v('MQTT-4.7.3-1', 'empty will topic');
  return undefined;
}

function checkPublish(p: PublishPacket): PacketViolation | undefined {
  if (p.qos === 0 && p.dup) return v('MQTT-3.3.1-2', 'DUP set on a QoS 0 PUBLISH');
  if (p.qos > 0 && !p.messageId) return v('MQTT-2.3.1-1', 'QoS > 0 PUBLISH without a packet identifier');
  const bad = badString(p.topic);
  if (bad) return v(bad.includes('U+0000') ? 'MQTT-4.7.3-2' : 'MQTT-3.3.2-1', `topic ${bad}`);
  return undefined;
}

function checkSubscribe(p: SubscribePacket): PacketViolation | undefined {
  if (!p.messageId) return v('MQTT-2.3.1-1', 'SUBSCRIBE without a packet identifier');
  for (const s of p.subscriptions) {
    const bad = badString(s.topic);
    if (bad) return v(bad.includes('U+0000') ? 'MQTT-4.7.3-2' : 'MQTT-3.8.3-1', `topic filter ${bad}`);
  }
  return undefined;
}

function checkUnsubscribe(p: UnsubscribePacket): PacketViolation | undefined {
  if (!p.messageId) return v('MQTT-2.3.1-1', 'UNSUBSCRIBE without a packet identifier');
  if (p.unsubscriptions.length === 0) return v('MQTT-3.10.3-2', 'UNSUBSCRIBE without a topic filter');
  for (const t of p.unsubscriptions) {
    const bad = badString(t);
    if (bad) return v(bad.includes('U+0000') ? 'MQTT-4.7.3-2' : 'MQTT-3.10.3-1', `topic filter ${bad}`);
  }
  return undefined;
}

/** The first rule `packet` breaks, or undefined. */
export function packetViolation(packet: Packet): PacketViolation | undefined {
  switch (packet.cmd) {
    case 'publish':
      return checkPublish(packet as PublishPacket);
    case 'connect':
      return checkConnect(packet as ConnectPacket);
    case 'subscribe':
      return checkSubscribe(packet as SubscribePacket);
    case 'unsubscribe':
      return checkUnsubscribe(packet as UnsubscribePacket);
    default:
      return undefined;
  }
}

/** The part of aedes' client the rules hook into: its mqtt-packet parser. */
interface ParserHost {
  _parser?: { emit(event: string, ...args: unknown[]): boolean };
}

/**
 * Puts `packetViolation` between the client's parser and aedes: a packet that breaks a
 * rule becomes a parser error, which aedes answers by closing the connection; packets
 * after it in the same read are dropped. Relies on aedes' `client._parser` (aedes 1.x;
 * tests/security/mqtt-conformance.test.ts fails if that changes). Returns false, and
 * installs nothing, when the client has no such parser: the broker still runs.
 */
export function enforcePacketRules(client: unknown, onViolation: (v: PacketViolation) => void): boolean {
  const parser = (client as ParserHost)._parser;
  if (!parser) return false;
  const emit = parser.emit.bind(parser);
  let violated = false;
  // Called once per parsed packet: a fixed (event, packet) signature rather than rest
  // arguments, so the hot path allocates no argument array (mqtt-packet's parser emits
  // every event with one argument).
  parser.emit = (event: string, packet?: unknown) => {
    if (event !== 'packet') return emit(event, packet);
    if (violated) return false;
    const violation = packetViolation(packet as Packet);
    if (!violation) return emit(event, packet);
    violated = true;
    onViolation(violation);
    return emit('error', new Error(`[${violation.statement}] ${violation.message}`));
  };
  return true;
}

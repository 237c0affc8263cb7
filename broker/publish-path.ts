import type { PublishPacket } from 'aedes';
import type { AcceptedTap, RingwatchBroker } from './create-broker.ts';

/**
 * The broker as a message source for a consumer in the same process: `attach` taps every
 * accepted publish before its PUBACK (RingwatchBroker.tapAccepted), `publish` routes a
 * message from this process to subscribers without a client connection. Structural, so
 * the consumer (telemetry's in-process ingest) needs no import from broker/.
 */
export interface BrokerPublishPath {
  attach(onMessage: AcceptedTap): () => void;
  publish(topic: string, payload: string, retain: boolean, qos: 0 | 1): void;
}

export function brokerPublishPath(broker: RingwatchBroker, onError: (err: Error) => void = () => undefined): BrokerPublishPath {
  return {
    attach: (onMessage) => broker.tapAccepted(onMessage),
    publish(topic, payload, retain, qos) {
      // Our own service's messages: trusted, so they go straight to routing (no auth or
      // ACL hook runs for a publish made by the broker's host process).
      const packet = { cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain, dup: false } as PublishPacket;
      broker.aedes.publish(packet, (err?: Error) => err && onError(err));
    },
  };
}

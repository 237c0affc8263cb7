export { createBroker, type AcceptedTap, type CreateBrokerOptions, type RingwatchBroker } from './create-broker.ts';
export { startBrokerServer, type BrokerServer, type BrokerServerOptions, type BrokerTlsOptions } from './server.ts';
export { readTlsFiles, type TlsFiles, type TlsPaths } from './tls-files.ts';
export { createAcl, patternCovers, type Acl, type AclAction, type AclDecision, type AclDenyReason } from './acl.ts';
export { authenticateClient, clientIdAllowed, identityLabel, type Identity, type IdentityLabel } from './identity.ts';
export { DEFAULT_LIMITS, type BrokerLimits, type RateLimit } from './limits.ts';
export type { BrokerMetrics, RejectReason } from './metrics.ts';
export { listenTcp, listenWebSocket, offersMqttSubprotocol, type Listener } from './transports.ts';
export { brokerPublishPath, type BrokerPublishPath } from './publish-path.ts';

// Service topics and record schemas are part of the protocol (protocol/service-records.ts);
// re-exported here for the telemetry service's existing imports.
export * from '../protocol/service-records.ts';

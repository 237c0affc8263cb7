export * from './link.ts';
export * from './registry.ts';
export * from './endpoint.ts';
export * from './transports/udp.ts';
export * from './transports/tcp.ts';

export * from './schema.ts';
export * from './load.ts';
export * from './geometry.ts';
export * from './secrets.ts';
export * from './secrets-file.ts';
export * from './mavlink-keys.ts';

import { InfluxV1Store, type InfluxV1Options } from './v1.ts';
import { InfluxV2Store, type InfluxV2Options } from './v2.ts';
import type { RetentionConfig, TelemetryStore } from './types.ts';

/** Which backend, chosen by configuration. A v1 config without `url` means "start a local influxd". */
export type StoreConfig = ({ backend: 'v1' } & Omit<InfluxV1Options, 'url' | 'retention'> & { url?: string }) | ({ backend: 'v2' } & Omit<InfluxV2Options, 'retention'>);

export function createStore(cfg: StoreConfig, retention?: Partial<RetentionConfig>): TelemetryStore {
  if (cfg.backend === 'v2') return new InfluxV2Store({ ...cfg, ...(retention ? { retention } : {}) });
  if (!cfg.url) throw new Error('v1 store needs a url (or let the service start a local influxd)');
  return new InfluxV1Store({ ...cfg, url: cfg.url, ...(retention ? { retention } : {}) });
}

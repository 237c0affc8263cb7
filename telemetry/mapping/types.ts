import type { DeviceKind } from '../../protocol/topics.ts';
import type { TelemetryPoint } from '../points.ts';

/** Why a message produced no point. `ignored` is not an error (e.g. `cmd` traffic). */
export type DropReason = 'topic' | 'oversize' | 'not_json' | 'schema' | 'ignored';

export type MapResult = { ok: true; point: TelemetryPoint } | { ok: false; reason: DropReason; message: string };

export interface DeviceSource {
  site: string;
  kind: DeviceKind;
  deviceId: string;
}

export function deviceTags(src: DeviceSource): Record<string, string> {
  return { site: src.site, kind: src.kind, deviceId: src.deviceId };
}

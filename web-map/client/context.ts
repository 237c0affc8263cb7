import type L from 'leaflet';
import { authorize, type Permission } from '../../control/auth/roles.ts';
import type { Api } from './api.ts';
import { ApiFailure } from './api.ts';
import type { DroneLayer } from './drone-layer.ts';
import { EN, type Lang, type MessageKey } from './i18n.ts';
import type { LiveStore } from './live-store.ts';
import type { Point, SiteView, User } from './types.ts';

export type T = (key: MessageKey, params?: Record<string, string | number>) => string;

/** What every panel gets: one object instead of a dozen arguments. */
export interface Ctx {
  api: Api;
  store: LiveStore;
  map: L.Map;
  drones: DroneLayer;
  site: SiteView;
  user: User;
  lang: Lang;
  t: T;
  toMap: (p: Point) => Point;
  fromMap: (p: Point) => Point;
  /**
   * Next map click (not on a drone) goes to `onPoint` in WGS-84; a hint shows meanwhile.
   * `onCancel` runs if the pick ends without a point (Escape, another pick, a tab change).
   */
  pick(hint: string, onPoint: (p: Point) => void, keep?: boolean, onCancel?: () => void): void;
  cancelPick(): void;
  selectDrone(id: string | undefined): void;
  toast(message: string, kind?: 'info' | 'error'): void;
  /** Layers drawn from live state that changed (patrol routes, coverage, alarms, devices). */
  redrawOverlays(): void;
  setPreviewGeoJson(geojson: unknown): void;
  /** Replay mode on or off: the live layers leave the map while the past is shown. */
  setReplay(on: boolean): void;
}

/** The same rule the server enforces (control/auth/roles.ts), so the UI never offers what it would refuse. */
export function can(user: User, p: Permission): boolean {
  return authorize(user.role, p).allow;
}

/**
 * A failure as one line in the user's language: the server's stable code mapped to a
 * message (never its English text), a validation error reduced to the fields it names.
 */
export function describeError(t: T, err: unknown): string {
  if (err instanceof ApiFailure) {
    if (err.status === 0) return t('err.unreachable');
    const key = `err.code.${err.code}`;
    if (key in EN) return t(key as MessageKey);
    if (err.code === 'API_ERR_VALIDATION' || err.status === 400) {
      // fastify joins one message per failed rule ("body/kind must be equal to constant, …"):
      // name each field once, not each rule.
      const fields = [...new Set([...err.message.matchAll(/(?:body|querystring|params)\/([\w/]+)/g)].map((m) => m[1]!.replace(/\/\d+$/, '')))];
      return t('err.validation', { fields: fields.length ? fields.join(', ') : err.code });
    }
    if (err.status === 403) return t('err.forbidden');
    return t('err.refused', { code: err.code });
  }
  return t('err.generic', { message: String((err as Error)?.message ?? err) });
}

export function fmtTime(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}`;
}

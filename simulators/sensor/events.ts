import type { SensorEvent, SensorEventType, Severity } from '../../protocol/index.ts';
import type { Rng } from '../fleet/rng.ts';

/** The site schema's sensor types (site/schema.ts `Sensor.type`). */
export const SENSOR_TYPES = ['anpr_camera', 'perimeter', 'panic_button', 'crowd_counter', 'face_watchlist'] as const;
export type SensorType = (typeof SENSOR_TYPES)[number];

/** What each kind of sensor reports when the site file does not say (`emits`). */
export const DEFAULT_EMITS: Record<SensorType, readonly SensorEventType[]> = {
  anpr_camera: ['vehicle_pass', 'watchlist_hit'],
  face_watchlist: ['watchlist_hit'],
  perimeter: ['perimeter_intrusion'],
  panic_button: ['panic_button'],
  crowd_counter: ['crowd_count'],
};

/**
 * Random background rates, events per simulated hour per sensor. A checkpoint camera
 * sees a car a minute; watch-list hits, intrusions and panic presses are rare, which is
 * the point: a quiet hour should look quiet on the map.
 */
export const DEFAULT_RATES_PER_HOUR: Record<SensorEventType, number> = {
  vehicle_pass: 60,
  watchlist_hit: 0.5,
  perimeter_intrusion: 0.2,
  panic_button: 0.05,
  crowd_count: 12,
  tamper: 0,
};

export const DEFAULT_SEVERITY: Record<SensorEventType, Severity> = {
  vehicle_pass: 'info',
  watchlist_hit: 'high',
  perimeter_intrusion: 'high',
  panic_button: 'critical',
  crowd_count: 'info',
  tamper: 'medium',
};

const PROVINCES = ['浙', '沪', '苏', '皖', '赣', '闽'] as const;
const PLATE_CHARS = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';

/** A mainland-style plate such as 浙A·3K7Q2 (no I/O; letters I and O are not issued). */
export function randomPlate(rng: Rng): string {
  let s = rng.pick(PROVINCES) + PLATE_CHARS[rng.int(0, 23)]!;
  for (let i = 0; i < 5; i++) s += PLATE_CHARS[rng.int(0, PLATE_CHARS.length - 1)]!;
  return s;
}

/** Mutable per-sensor state that events are drawn from. */
export interface SensorState {
  crowdCount: number;
}

/** Fields a scenario may set on a scripted event; the rest is generated. */
export interface EventOverrides {
  severity?: Severity;
  plate?: string;
  watchlist?: string;
  crowdCount?: number;
  text?: string;
  latDeg?: number;
  lonDeg?: number;
}

/** Builds one schema-valid event of `type` for a sensor at `checkpointId`. */
export function buildSensorEvent(
  type: SensorEventType,
  ctx: { id: string; sensorType: SensorType; checkpointId: string; rng: Rng; state: SensorState; nowMs: number },
  overrides: EventOverrides = {},
): SensorEvent {
  const { rng, state } = ctx;
  const ev: SensorEvent = { id: ctx.id, tsMs: ctx.nowMs, type, severity: DEFAULT_SEVERITY[type], checkpointId: ctx.checkpointId };
  switch (type) {
    case 'vehicle_pass':
      ev.plate = randomPlate(rng);
      break;
    case 'watchlist_hit':
      if (ctx.sensorType === 'face_watchlist') {
        ev.watchlist = 'wanted-persons';
        ev.text = `face match score ${(0.86 + rng.next() * 0.13).toFixed(2)}`;
      } else {
        ev.plate = randomPlate(rng);
        ev.watchlist = rng.pick(['stolen-vehicles', 'wanted-vehicles', 'fake-plates']);
      }
      break;
    case 'perimeter_intrusion':
      ev.text = `fence zone ${rng.int(1, 8)}: ${rng.pick(['climb detected', 'cut detected', 'beam broken'])}`;
      break;
    case 'panic_button':
      ev.text = 'panic button pressed';
      break;
    case 'crowd_count': {
      // A random walk that drifts back towards a typical checkpoint crowd.
      const drift = (120 - state.crowdCount) * 0.1;
      state.crowdCount = Math.max(0, Math.round(state.crowdCount + drift + rng.int(-15, 15)));
      ev.crowdCount = state.crowdCount;
      if (state.crowdCount > 300) ev.severity = 'medium';
      break;
    }
    case 'tamper':
      ev.text = 'enclosure opened';
      break;
  }
  if (overrides.crowdCount !== undefined) state.crowdCount = overrides.crowdCount;
  return { ...ev, ...overrides };
}

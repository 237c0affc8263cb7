import L from 'leaflet';
import type { Point, Shape, SiteView } from './types.ts';
import { EN, type MessageKey } from './i18n.ts';

export type ToMap = (p: Point) => Point;
export type T = (key: MessageKey, params?: Record<string, string | number>) => string;

/** One colour per ring, shared by the rings, the coverage gaps and the legend (app.css .ring-*). */
export const RING_COLORS: Record<string, string> = { containment: '#c62828', prevention: '#ef6c00', control: '#1565c0' };

export const ll = (toMap: ToMap, p: Point): L.LatLng => {
  const q = toMap(p);
  return L.latLng(q.latDeg, q.lonDeg);
};

function shapeLayer(shape: Shape, toMap: ToMap, style: L.PathOptions): L.Path {
  return shape.type === 'circle'
    ? L.circle(ll(toMap, shape.center), { ...style, radius: shape.radiusM })
    : L.polygon(shape.points.map((p) => ll(toMap, p)), style);
}

/** The northernmost point of a shape, where its label goes. */
function topOf(shape: Shape): Point {
  if (shape.type === 'circle') return { latDeg: shape.center.latDeg + shape.radiusM / 111_320, lonDeg: shape.center.lonDeg };
  return shape.points.reduce((a, b) => (b.latDeg > a.latDeg ? b : a));
}

/** Ring ids are fixed (containment, prevention, control): their names are translated. */
function ringLabel(t: T, id: string, fallback: string): string {
  const key = `ringName.${id}`;
  return key in EN ? t(key as MessageKey) : fallback;
}

/** The fixed site: core, rings with names and response targets, no-fly zones. Redrawn on a language switch. */
export function siteStatic(site: SiteView, toMap: ToMap, t: T): L.LayerGroup {
  const g = L.layerGroup();
  for (const r of [...site.rings].reverse()) {
    const color = RING_COLORS[r.id] ?? '#555';
    shapeLayer(r.shape, toMap, { color, weight: 2, fillOpacity: 0.04, dashArray: r.id === 'control' ? '6 4' : undefined, interactive: false }).addTo(g);
    L.marker(ll(toMap, topOf(r.shape)), {
      interactive: false,
      icon: L.divIcon({ className: 'ring-label', html: `<span style="border-color:${color}" data-ring="${r.id}">${escapeHtml(t('ring.target', { name: ringLabel(t, r.id, r.name), seconds: r.responseTargetS }))}</span>`, iconSize: [0, 0] }),
    }).addTo(g);
  }
  shapeLayer(site.core.shape, toMap, { color: '#37474f', weight: 2, fillOpacity: 0.15, interactive: false }).addTo(g);
  for (const z of site.noFlyZones) shapeLayer(z.shape, toMap, { color: '#6a1b9a', weight: 1, fillOpacity: 0.15, dashArray: '3 3', interactive: false }).bindTooltip(z.name).addTo(g);
  return g;
}

export interface DeviceStyle {
  online?: boolean;
  alert?: boolean;
}

/** Checkpoints (state from their sensors) and fixed speakers. */
export function devicesLayer(site: SiteView, toMap: ToMap, checkpointState: (id: string) => DeviceStyle, speakerState: (id: string) => DeviceStyle): L.LayerGroup {
  const g = L.layerGroup();
  for (const c of site.checkpoints) {
    const s = checkpointState(c.id);
    const color = s.alert ? '#d50000' : s.online === false ? '#9e9e9e' : s.online ? '#2e7d32' : '#607d8b';
    L.circleMarker(ll(toMap, c.position), { radius: 6, color: '#fff', weight: 2, fillColor: color, fillOpacity: 1 })
      .bindTooltip(`${c.name} (${c.sensors.map((x) => x.id).join(', ')})`)
      .addTo(g);
  }
  for (const sp of site.speakers) {
    const s = speakerState(sp.id);
    const color = s.alert ? '#ff6f00' : s.online === false ? '#9e9e9e' : '#00838f';
    L.circleMarker(ll(toMap, sp.position), { radius: 4, color, weight: 2, fillColor: '#fff', fillOpacity: 1 }).bindTooltip(sp.name).addTo(g);
  }
  return g;
}

/** Any WGS-84 GeoJSON (patrol routes, coverage gaps) through the basemap datum. */
export function geoJsonLayer(data: unknown, toMap: ToMap, style: L.PathOptions, colorOf?: (f: GeoJSON.Feature | undefined) => string): L.GeoJSON {
  return L.geoJSON(data as GeoJSON.GeoJsonObject, {
    style: (f) => (colorOf ? { ...style, color: colorOf(f), fillColor: colorOf(f) } : style),
    coordsToLatLng: (c) => ll(toMap, { latDeg: c[1]!, lonDeg: c[0]! }),
    pointToLayer: (_f, latlng) => L.circleMarker(latlng, { radius: 3, ...style }),
    interactive: false,
  });
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A small vector basemap shipped with a site (`public/basemaps/<site id>.geojson`): water,
 * park, roads, the hospital. Drawn in its own pane under every overlay when there are no
 * tiles (none configured, or the configured source failed), so the demo district looks
 * like a place offline. Features carry `kind` and optional `name_en` / `name_zh`.
 */
import L from 'leaflet';
import type { Lang } from './i18n.ts';
import type { ToMap } from './site-layers.ts';
import { escapeHtml, ll } from './site-layers.ts';

const STYLE: Record<string, L.PathOptions> = {
  park: { color: '#a5d6a7', weight: 1, fillColor: '#c8e6c9', fillOpacity: 0.9 },
  water: { color: '#81b7d6', weight: 1, fillColor: '#aad3df', fillOpacity: 1 },
  waterway: { color: '#81b7d6', weight: 6, opacity: 1 },
  hospital: { color: '#e57373', weight: 1, fillColor: '#ffcdd2', fillOpacity: 1 },
  facility: { color: '#b0bec5', weight: 1, fillColor: '#e0e0e0', fillOpacity: 1 },
  motorway: { color: '#fff3c4', weight: 5, opacity: 1 },
  road: { color: '#ffffff', weight: 5, opacity: 1 },
  street: { color: '#ffffff', weight: 3, opacity: 1 },
  path: { color: '#8d6e63', weight: 2, opacity: 0.9, dashArray: '4 3' },
};
const CASING: Record<string, L.PathOptions> = { road: { color: '#b0bec5', weight: 7, opacity: 1 }, motorway: { color: '#c9b27a', weight: 7, opacity: 1 } };

export interface VectorBasemap {
  /** Redraw labels in another language. */
  setLang(lang: Lang): void;
}

/** Loads the site's vector basemap if the server has one; resolves undefined when it has none. */
export async function addVectorBasemap(map: L.Map, siteId: string, toMap: ToMap, lang: Lang): Promise<VectorBasemap | undefined> {
  const res = await fetch(`basemaps/${encodeURIComponent(siteId)}.geojson`).catch(() => undefined);
  if (!res?.ok) return undefined;
  const data = (await res.json().catch(() => undefined)) as GeoJSON.FeatureCollection | undefined;
  if (!data || data.type !== 'FeatureCollection' || !Array.isArray(data.features)) return undefined;
  // Under overlays (400) and the drone canvas, over the grid (tile pane, 200).
  const pane = map.getPane('vectorBase') ?? map.createPane('vectorBase');
  pane.style.zIndex = '250';
  pane.style.pointerEvents = 'none';
  const kind = (f?: GeoJSON.Feature) => String((f?.properties as { kind?: string } | null)?.kind ?? '');
  const opts = (styles: Record<string, L.PathOptions>, filter: (k: string) => boolean): L.GeoJSONOptions => ({
    pane: 'vectorBase',
    interactive: false,
    filter: (f) => filter(kind(f)),
    style: (f) => styles[kind(f)] ?? {},
    coordsToLatLng: (c) => ll(toMap, { latDeg: c[1]!, lonDeg: c[0]! }),
  });
  // Draw order: areas, then road casings, then roads, so streets read as continuous lines.
  L.geoJSON(data, opts(STYLE, (k) => ['park', 'water', 'hospital', 'facility'].includes(k))).addTo(map);
  L.geoJSON(data, opts(CASING, (k) => k in CASING)).addTo(map);
  L.geoJSON(data, opts(STYLE, (k) => ['waterway', 'motorway', 'road', 'street', 'path'].includes(k))).addTo(map);

  const labels = L.layerGroup().addTo(map);
  const setLang = (l: Lang) => {
    labels.clearLayers();
    for (const f of data.features) {
      const p = (f.properties ?? {}) as { name_en?: string; name_zh?: string; kind?: string };
      const name = l === 'zh-CN' ? p.name_zh : p.name_en;
      if (!name) continue;
      const at = labelPoint(f.geometry);
      if (!at) continue;
      L.marker(ll(toMap, at), { pane: 'vectorBase', interactive: false, icon: L.divIcon({ className: `base-label base-${p.kind}`, html: `<span data-base="${escapeHtml(p.kind ?? '')}">${escapeHtml(name)}</span>`, iconSize: [0, 0] }) }).addTo(labels);
    }
  };
  setLang(lang);
  return { setLang };
}

/** Where a feature's name goes: the average of a polygon's ring, the middle vertex of a line. */
function labelPoint(g: GeoJSON.Geometry): { latDeg: number; lonDeg: number } | undefined {
  if (g.type === 'Polygon') {
    const ring = g.coordinates[0] ?? [];
    if (!ring.length) return undefined;
    const [lon, lat] = ring.reduce((a, c) => [a[0]! + c[0]! / ring.length, a[1]! + c[1]! / ring.length], [0, 0]);
    return { latDeg: lat!, lonDeg: lon! };
  }
  if (g.type === 'LineString') {
    const c = g.coordinates[Math.floor(g.coordinates.length / 2)];
    return c ? { latDeg: c[1]!, lonDeg: c[0]! } : undefined;
  }
  return undefined;
}

/**
 * The map layers drawn from live state: checkpoints and speakers with their devices' state,
 * open alarms, running patrol loops, coverage gaps in their ring's colour. Each is redrawn
 * whole into its holder group (layer-switch.ts), so a hidden layer stays hidden.
 */
import L from 'leaflet';
import type { T } from './context.ts';
import type { LayerSwitch } from './layer-switch.ts';
import type { LiveStore } from './live-store.ts';
import { alarmPlace, alarmType, alarmTypeName, ringName } from './names.ts';
import { activeRings } from './ops-panel.ts';
import { devicesLayer, geoJsonLayer, RING_COLORS, type ToMap } from './site-layers.ts';
import type { SiteView } from './types.ts';

export interface OverlayDeps {
  store: LiveStore;
  site: SiteView;
  toMap: ToMap;
  holders: LayerSwitch['holders'];
  /** The current translator (it changes with the language). */
  t: () => T;
  onCoverage(): void;
}

export function liveOverlays({ store, site, toMap, holders, t, onCoverage }: OverlayDeps): { drawDevices(): void; drawAlarms(): void; drawPatrol(): void; drawCoverage(): void } {
  let devLayer: L.LayerGroup | undefined;
  let alarmLayer: L.LayerGroup | undefined;
  let patrolLayer: L.GeoJSON | undefined;
  let coverageLayer: L.GeoJSON | undefined;
  return {
    drawDevices() {
      if (devLayer) holders.checkpoints.removeLayer(devLayer); // from the holder, not only the map
      const sensorsOf = (cpId: string) => site.checkpoints.find((x) => x.id === cpId)?.sensors.map((s) => store.sensors.get(s.id)) ?? [];
      devLayer = devicesLayer(
        site,
        toMap,
        (id) => {
          const ss = sensorsOf(id);
          const recent = ss.some((s) => s?.lastEvent && Date.now() - s.lastEvent.tsMs < 120_000 && s.lastEvent.severity !== 'info');
          return { online: ss.some((s) => s?.online === true) ? true : ss.some((s) => s?.online === false) ? false : undefined, alert: recent };
        },
        (id) => {
          const s = store.speakers.get(id) as { online?: boolean; state?: string } | undefined;
          return { online: s?.online, alert: s?.state === 'playing' };
        },
      ).addTo(holders.checkpoints);
    },
    drawAlarms() {
      if (alarmLayer) holders.alarms.removeLayer(alarmLayer);
      alarmLayer = L.layerGroup();
      for (const a of store.alarms.values()) {
        if (a.state === 'resolved') continue;
        const q = toMap(a.position);
        const label = `${alarmTypeName(t(), alarmType(a))} · ${alarmPlace(site, a, t())} · ${ringName(t(), site, a.ringId)}`;
        L.circleMarker([q.latDeg, q.lonDeg], { radius: 10, color: '#d50000', weight: 3, fillColor: a.state === 'open' ? '#ff1744' : '#ffab91', fillOpacity: 0.7 }).bindTooltip(label).addTo(alarmLayer);
      }
      alarmLayer.addTo(holders.alarms);
    },
    drawPatrol() {
      if (patrolLayer) holders.patrol.removeLayer(patrolLayer);
      const loops = activeRings(store.patrol)
        .filter((r) => r.plan?.loop && r.plan.loop.length > 1)
        .map((r) => ({ type: 'Feature', properties: { ringId: r.ringId }, geometry: { type: 'LineString', coordinates: [...r.plan!.loop!, r.plan!.loop![0]!].map((p) => [p.lonDeg, p.latDeg]) } }));
      patrolLayer = loops.length ? geoJsonLayer({ type: 'FeatureCollection', features: loops }, toMap, { color: '#2e7d32', weight: 3 }).addTo(holders.patrol) : undefined;
    },
    drawCoverage() {
      if (coverageLayer) holders.coverage.removeLayer(coverageLayer);
      const gaps = (store.coverage as { uncovered?: unknown }[]).map((c) => c.uncovered).filter(Boolean);
      coverageLayer = gaps.length
        ? geoJsonLayer({ type: 'FeatureCollection', features: gaps }, toMap, { weight: 1, fillOpacity: 0.22, dashArray: '2 4' }, (f) => RING_COLORS[String((f?.properties as { ringId?: string } | null)?.ringId)] ?? '#b71c1c').addTo(holders.coverage)
        : undefined;
      onCoverage();
    },
  };
}

/**
 * A patrol plan before it flies (issue 16 item 10): per ring the altitude, speed,
 * waypoints, slots and revisit; every sortie on a schedule (launch, on station, off,
 * landed; reliefs marked); and the loop's waypoints on the map, each with its altitude.
 */
import L from 'leaflet';
import type { Ctx } from './context.ts';
import { fmtTime } from './context.ts';
import { fill, h } from './dom.ts';
import { checkpointName, droneName, ringName } from './names.ts';
import type { RingPlan } from '../../control/planning/types.ts';

/** Sorties listed per ring; the rest are counted (a 24 h plan has hundreds). */
const SORTIES_SHOWN = 8;

export function renderPlanPreview(ctx: Ctx, box: HTMLElement, layer: L.LayerGroup, rings: RingPlan[]): void {
  const { t } = ctx;
  layer.clearLayers();
  const renderer = L.svg();
  for (const r of rings) {
    r.loop.forEach((w, i) => {
      const q = ctx.toMap(w);
      L.circleMarker(L.latLng(q.latDeg, q.lonDeg), { radius: 4, color: '#7b1fa2', fillColor: '#fff', fillOpacity: 1, weight: 2, className: 'plan-wp', renderer })
        .bindTooltip(t('plan.wp', { n: i + 1, alt: r.altitudeRelM, cp: w.checkpointId ? ` · ${checkpointName(ctx.site, w.checkpointId)}` : '' }))
        .addTo(layer);
    });
  }
  fill(
    box,
    ...rings.map((r) =>
      h(
        'div',
        { class: 'plan-ring', 'data-testid': `plan-${r.ringId}` },
        h('b', {}, ringName(t, ctx.site, r.ringId)),
        h(
          'div',
          { 'data-testid': 'plan-figures' },
          t('plan.figures', { alt: r.altitudeRelM, speed: r.speedMps.toFixed(1), wps: r.loop.length, km: (r.loopLengthM / 1000).toFixed(1), slots: r.slots, drones: r.drones.length, revisit: Math.round(r.revisitIntervalS) }),
        ),
        r.checkpointsMissed.length ? h('div', { class: 'bad' }, t('plan.missed', { cps: r.checkpointsMissed.map((c) => checkpointName(ctx.site, c.id)).join(ctx.lang === 'zh-CN' ? '、' : ', ') })) : null,
        h(
          'table',
          { class: 'audit-table', 'data-testid': 'plan-sorties', 'data-count': r.sorties.length },
          h('thead', {}, h('tr', {}, h('th', {}, t('plan.col.drone')), h('th', {}, t('plan.col.launch')), h('th', {}, t('plan.col.onStation')), h('th', {}, t('plan.col.off')), h('th', {}, t('plan.col.land')))),
          h(
            'tbody',
            {},
            ...r.sorties.slice(0, SORTIES_SHOWN).map((s) =>
              h(
                'tr',
                { 'data-testid': 'plan-sortie', 'data-relief': String(s.relief) },
                h('td', {}, droneName(ctx.site, s.droneId), s.relief ? ` (${t('plan.relief')})` : ''),
                h('td', {}, fmtTime(s.launchAtMs)),
                h('td', {}, fmtTime(s.onStationAtMs)),
                h('td', {}, fmtTime(s.offStationAtMs)),
                h('td', {}, fmtTime(s.landAtMs)),
              ),
            ),
          ),
        ),
        r.sorties.length > SORTIES_SHOWN ? h('div', { class: 'muted' }, t('plan.more', { n: r.sorties.length - SORTIES_SHOWN })) : null,
      ),
    ),
  );
}

/**
 * Coverage you can read: a box on the map (every tab) with, per ring, the share of its
 * area, perimeter and checkpoints some drone reaches within the ring's target, the
 * checkpoints that are not reached by name, a legend, and a warning for a ring whose
 * promise does not hold. The gaps themselves are drawn hatched in the ring's colour.
 */
import L from 'leaflet';
import type { Ctx } from './context.ts';
import { coverageRows, type CoverageVerdict } from './coverage-model.ts';
import { fill, h } from './dom.ts';
import { checkpointName, ringName } from './names.ts';

export interface CoveragePanel {
  render(): void;
  remove(): void;
}

export function coveragePanel(ctx: Ctx): CoveragePanel {
  const box = h('div', { class: 'coverage-box leaflet-bar', 'data-testid': 'coverage-panel' });
  L.DomEvent.disableClickPropagation(box);
  L.DomEvent.disableScrollPropagation(box);
  let collapsed = false;
  const Control = L.Control.extend({ onAdd: () => box });
  const control = new (Control as unknown as new (o: L.ControlOptions) => L.Control)({ position: 'bottomleft' }).addTo(ctx.map);

  const bar = (label: string, pct: number, testId: string) =>
    h('span', { class: `cov-fig ${pct >= 95 ? 'full' : pct >= 50 ? 'part' : 'low'}`, 'data-testid': testId, 'data-pct': pct.toFixed(1) }, `${label} `, h('b', {}, `${pct.toFixed(0)}%`));

  function render(): void {
    const { t, site } = ctx;
    const rows = coverageRows(ctx.store.coverage, site.rings.map((r) => r.id));
    const head = h('div', { class: 'cov-head' }, h('b', {}, t('cov.title')), h('button', { class: 'link', 'data-testid': 'coverage-collapse', onclick: () => ((collapsed = !collapsed), render()) }, collapsed ? '▸' : '▾'));
    if (collapsed) return fill(box, head);
    fill(
      box,
      head,
      rows.length === 0 ? h('div', { class: 'muted' }, t('cov.none')) : null,
      ...rows.map((r) => {
        const name = ringName(t, site, r.ringId);
        const v: CoverageVerdict = r.verdict;
        return h(
          'div',
          { class: `cov-ring cov-${v}`, 'data-testid': `coverage-${r.ringId}`, 'data-verdict': v },
          h('div', {}, h('span', { class: `swatch ring-${r.ringId}` }), h('b', {}, name), ` · ${t('cov.target', { seconds: r.targetS })}`, h('span', { class: `cov-verdict ${v}` }, v === 'ok' ? ' ✓' : ' ⚠')),
          h('div', { class: 'cov-figs' }, bar(t('cov.legendArea'), r.areaPct, 'cov-area'), bar(t('cov.legendPerimeter'), r.perimeterPct, 'cov-perimeter'), bar(t('cov.legendCheckpoints'), r.checkpointsPct, 'cov-checkpoints')),
          r.checkpointsUncovered.length
            ? h('div', { class: 'bad', 'data-testid': 'cov-uncovered' }, t('cov.uncovered', { names: r.checkpointsUncovered.map((id) => checkpointName(site, id)).join(ctx.lang === 'zh-CN' ? '、' : ', ') }))
            : null,
          v === 'ok' ? null : h('div', { class: `cov-warning ${v}`, 'data-testid': 'cov-warning', role: 'status' }, '⚠ ', t('cov.warning', { ring: name, target: r.targetS, area: r.areaPct.toFixed(0) })),
        );
      }),
      h('div', { class: 'cov-legend', 'data-testid': 'coverage-legend' }, h('span', { class: 'swatch gap' }), t('cov.gapLegend')),
    );
  }
  render();
  return { render, remove: () => control.remove() };
}

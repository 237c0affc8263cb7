/**
 * The measuring tool (issue 16 item 10): click points on the map, read the total length
 * and the last leg. Distances on the WGS-84 ellipsoid's sphere as the planner measures
 * them (site/geometry.ts distanceM), from positions already converted back from the
 * basemap's datum, so a GCJ-02 basemap does not skew them.
 */
import L from 'leaflet';
import { distanceM } from '../../site/geometry.ts';
import type { Ctx } from './context.ts';
import { h } from './dom.ts';
import type { Point } from './types.ts';

const RULER_SVG =
  '<svg width="18" height="18" viewBox="0 0 18 18" aria-hidden="true"><rect x="1" y="6" width="16" height="6" fill="none" stroke="#333" stroke-width="1.5"/><path d="M4 6v3M7 6v2M10 6v3M13 6v2" stroke="#333" stroke-width="1.2"/></svg>';

export function formatDistance(m: number): string {
  return m >= 1000 ? `${(m / 1000).toFixed(2)} km` : `${Math.round(m)} m`;
}

export function measureTool(ctx: Ctx): { render(): void; dispose(): void } {
  const renderer = L.svg();
  const layer = L.layerGroup().addTo(ctx.map);
  let points: Point[] = [];
  let measuring = false;
  const result = h('div', { class: 'measure-result', hidden: true, 'data-testid': 'measure-result' });
  const button = h('a', { href: '#', role: 'button', title: ctx.t('measure.title'), 'aria-label': ctx.t('measure.title'), class: 'measure-btn', 'data-testid': 'measure' });
  // A drawn ruler, not an emoji: field machines often have no emoji font.
  button.innerHTML = RULER_SVG;
  const total = () => points.slice(1).reduce((sum, p, i) => sum + distanceM(points[i]!, p), 0);
  const draw = () => {
    layer.clearLayers();
    const lls = points.map((p) => ctx.toMap(p)).map((q) => L.latLng(q.latDeg, q.lonDeg));
    if (lls.length > 1) L.polyline(lls, { color: '#d81b60', weight: 3, dashArray: '6 4', className: 'measure-line', renderer }).addTo(layer);
    for (const ll of lls) L.circleMarker(ll, { radius: 3, color: '#d81b60', fillOpacity: 1, renderer }).addTo(layer);
    const m = total();
    const leg = points.length > 1 ? distanceM(points[points.length - 2]!, points[points.length - 1]!) : 0;
    result.hidden = points.length === 0;
    result.dataset['m'] = m.toFixed(1);
    result.textContent = points.length > 1 ? ctx.t('measure.result', { total: formatDistance(m), leg: formatDistance(leg), n: points.length - 1 }) : ctx.t('measure.first');
  };
  const stop = () => {
    measuring = false;
    button.classList.remove('active');
  };
  const start = () => {
    points = [];
    draw();
    measuring = true;
    button.classList.add('active');
    ctx.pick(ctx.t('measure.hint'), (p) => ((points = [...points, p]), draw()), true, stop);
  };
  L.DomEvent.disableClickPropagation(button);
  button.addEventListener('click', (e) => {
    e.preventDefault();
    if (measuring) ctx.cancelPick();
    else start();
  });
  const Control = L.Control.extend({ onAdd: () => h('div', { class: 'leaflet-bar measure-box' }, button, result) });
  const control = new (Control as unknown as new (o: L.ControlOptions) => L.Control)({ position: 'topleft' }).addTo(ctx.map);
  return {
    /** After a language switch: the button's name and any result in the new language. */
    render() {
      button.title = ctx.t('measure.title');
      button.setAttribute('aria-label', ctx.t('measure.title'));
      if (points.length) draw();
    },
    dispose: () => (control.remove(), layer.remove()),
  };
}

import L from 'leaflet';
import { ApiFailure } from './api.ts';
import type { Ctx } from './context.ts';
import { describeError, fmtTime } from './context.ts';
import { fill, h } from './dom.ts';
import { describeEvent, positionsAt, type HistEvent, type HistPosition, type Wording } from './history-model.ts';
import { EN, type MessageKey } from './i18n.ts';
import { ringName, speakerName } from './names.ts';

export { describeEvent, positionsAt };

/** A window of the past on a slider: positions, alarms, commands and broadcasts as they were. */
export function historyPanel(ctx: Ctx): { el: HTMLElement; dispose(): void } {
  const { t, api } = ctx;
  const local = (ms: number) => new Date(ms - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  const now = Date.now();
  const from = h('input', { type: 'datetime-local', value: local(now - 15 * 60_000), 'data-testid': 'hist-from' });
  const to = h('input', { type: 'datetime-local', value: local(now), 'data-testid': 'hist-to' });
  const slider = h('input', { type: 'range', min: 0, max: 1000, value: 1000, disabled: true, class: 'wide', 'data-testid': 'hist-slider' });
  const at = h('div', { class: 'muted', 'data-testid': 'hist-at' });
  const events = h('ul', { class: 'events', 'data-testid': 'hist-events' });
  const layer = L.layerGroup().addTo(ctx.map);
  let positions: HistPosition[] = [];
  let evs: HistEvent[] = [];
  let fromMs = 0;
  let toMs = 0;

  const wording: Wording = {
    t: (key, params) => t(key as MessageKey, params),
    ring: (id) => ringName(t, ctx.site, id),
    device: (id) => speakerName(ctx.site, id),
    word: (prefix, code) => (`${prefix}.${code}` in EN ? t(`${prefix}.${code}` as MessageKey) : code),
  };
  const render = () => {
    const tMs = fromMs + ((toMs - fromMs) * Number(slider.value)) / 1000;
    at.textContent = t('hist.at', { time: fmtTime(tMs) });
    layer.clearLayers();
    for (const p of positionsAt(positions, tMs).values()) {
      const q = ctx.toMap(p);
      L.circleMarker(L.latLng(q.latDeg, q.lonDeg), { radius: 5, color: '#6a1b9a', fillColor: '#ce93d8', fillOpacity: 1, weight: 2 }).bindTooltip(p.deviceId).addTo(layer);
    }
    const upTo = evs.filter((e) => e.tsMs <= tMs).slice(-30).reverse();
    fill(events, ...upTo.map((e) => h('li', { 'data-testid': 'hist-event', 'data-group': e.group }, `${fmtTime(e.tsMs)} ${describeEvent(e, wording)}`)));
  };
  slider.addEventListener('input', render);

  const load = async () => {
    fromMs = new Date(from.value).getTime();
    toMs = new Date(to.value).getTime();
    try {
      const q = `fromMs=${fromMs}&toMs=${toMs}`;
      positions = (await api.get<HistPosition[]>(`/api/history/positions?${q}`)).sort((a, b) => a.tsMs - b.tsMs);
      const raw = await api.get<Record<string, Omit<HistEvent, 'group'>[]>>(`/api/history/events?${q}`);
      evs = Object.entries(raw)
        .flatMap(([group, list]) => (Array.isArray(list) ? list.map((e) => ({ ...e, group })) : []))
        .sort((a, b) => a.tsMs - b.tsMs);
      slider.disabled = false;
      slider.value = '0';
      ctx.toast(t('hist.events', { n: evs.length }));
      render();
    } catch (err) {
      // 503: the telemetry store is down; 404: this server has no history routes at all.
      const reason = err instanceof ApiFailure && err.status === 503 ? t('hist.storeDown') : err instanceof ApiFailure && err.status === 404 ? t('hist.noService') : describeError(t, err);
      fill(events, h('li', { class: 'bad', 'data-testid': 'hist-unavailable' }, t('hist.unavailable', { reason })));
    }
  };
  const live = () => {
    layer.clearLayers();
    slider.disabled = true;
    positions = [];
    evs = [];
    fill(events);
    at.textContent = '';
  };
  const el = h(
    'section',
    { class: 'panel' },
    h('label', {}, t('hist.from'), ' ', from),
    h('label', {}, t('hist.to'), ' ', to),
    h('div', {}, h('button', { 'data-testid': 'hist-load', onclick: () => void load() }, t('hist.load')), h('button', { onclick: live }, t('hist.live'))),
    slider,
    at,
    events,
  );
  return { el, dispose: () => layer.remove() };
}

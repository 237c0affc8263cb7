import L from 'leaflet';
import { ApiFailure } from './api.ts';
import type { Ctx } from './context.ts';
import { describeError, fmtTime } from './context.ts';
import { fill, h } from './dom.ts';
import { describeEvent, positionsAt, type HistEvent, type HistPosition, type Wording } from './history-model.ts';
import { EN, type MessageKey } from './i18n.ts';
import { droneName, kindName, ringName, speakerName } from './names.ts';
import { auditAction, auditTarget, type AuditRow, type AuditWording } from './audit-words.ts';

export { describeEvent, positionsAt };

/** Replay speeds offered: real time, and faster for a long window. */
const SPEEDS = [1, 10, 60] as const;
/** Play advances the replay clock this often (wall time). */
const PLAY_TICK_MS = 200;
/** Event groups the replay can show; the audit has its own view (who did what), not timeline lines. */
const GROUPS = ['alarms', 'ledger', 'broadcasts', 'events'] as const;

/**
 * History, two views. Replay: a window of the past as its own mode (the live layers leave
 * the map), positions and trails as they were, a play button with speed, a slider, and
 * event filters. Audit: who did what (user, action, target, result) in words.
 */
export function historyPanel(ctx: Ctx): { el: HTMLElement; dispose(): void } {
  const { t, api } = ctx;
  const local = (ms: number) => new Date(ms - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  const now = Date.now();
  const from = h('input', { type: 'datetime-local', value: local(now - 15 * 60_000), 'data-testid': 'hist-from' });
  const to = h('input', { type: 'datetime-local', value: local(now), 'data-testid': 'hist-to' });
  const slider = h('input', { type: 'range', min: 0, max: 1000, value: 1000, disabled: true, class: 'wide', 'data-testid': 'hist-slider' });
  const at = h('div', { class: 'muted', 'data-testid': 'hist-at' });
  const events = h('ul', { class: 'events', 'data-testid': 'hist-events' });
  const speed = h('select', { 'data-testid': 'hist-speed' }, ...SPEEDS.map((x) => h('option', { value: x, selected: x === 10 }, `${x}×`)));
  const playBtn = h('button', { 'data-testid': 'hist-play', disabled: true, onclick: () => (playing ? pause() : play()) }, t('hist.play'));
  const filters = GROUPS.map((g) => h('input', { type: 'checkbox', checked: true, value: g, 'data-testid': `hist-filter-${g}`, onchange: () => render() }));
  const layer = L.layerGroup().addTo(ctx.map);
  // SVG, not the map's shared canvas: trails and markers the user (and a test) can point at.
  const renderer = L.svg();
  let positions: HistPosition[] = [];
  let evs: HistEvent[] = [];
  let fromMs = 0;
  let toMs = 0;
  let curMs = 0;
  let playing: ReturnType<typeof setInterval> | undefined;

  const wording: Wording = {
    t: (key, params) => t(key as MessageKey, params),
    ring: (id) => ringName(t, ctx.site, id),
    device: (id) => speakerName(ctx.site, id),
    word: (prefix, code) => (`${prefix}.${code}` in EN ? t(`${prefix}.${code}` as MessageKey) : code),
  };
  const render = () => {
    at.textContent = t('hist.at', { time: fmtTime(curMs) });
    at.dataset['ms'] = String(Math.round(curMs));
    layer.clearLayers();
    // Trails for the window up to the replay time, then where each device was.
    const trails = new Map<string, L.LatLng[]>();
    for (const p of positions) {
      if (p.tsMs > curMs) break;
      const q = ctx.toMap(p);
      const tr = trails.get(p.deviceId) ?? [];
      tr.push(L.latLng(q.latDeg, q.lonDeg));
      trails.set(p.deviceId, tr);
    }
    for (const tr of trails.values()) if (tr.length > 1) L.polyline(tr, { color: '#8e24aa', weight: 2, opacity: 0.7, className: 'hist-trail', renderer }).addTo(layer);
    for (const p of positionsAt(positions, curMs).values()) {
      const q = ctx.toMap(p);
      L.circleMarker(L.latLng(q.latDeg, q.lonDeg), { radius: 5, color: '#6a1b9a', fillColor: '#ce93d8', fillOpacity: 1, weight: 2, className: 'hist-pos', renderer }).bindTooltip(p.deviceId).addTo(layer);
    }
    const shown = new Set(filters.filter((f) => f.checked).map((f) => f.value));
    const upTo = evs.filter((e) => e.tsMs <= curMs && shown.has(e.group)).slice(-30).reverse();
    fill(events, ...upTo.map((e) => h('li', { 'data-testid': 'hist-event', 'data-group': e.group }, `${fmtTime(e.tsMs)} ${describeEvent(e, wording)}`)));
  };
  const toSlider = () => (slider.value = String(toMs > fromMs ? Math.round(((curMs - fromMs) / (toMs - fromMs)) * 1000) : 0));
  slider.addEventListener('input', () => {
    curMs = fromMs + ((toMs - fromMs) * Number(slider.value)) / 1000;
    render();
  });
  function play(): void {
    if (curMs >= toMs) curMs = fromMs;
    playBtn.textContent = t('hist.pause');
    playBtn.dataset['playing'] = 'true';
    playing = setInterval(() => {
      curMs = Math.min(toMs, curMs + PLAY_TICK_MS * Number(speed.value));
      toSlider();
      render();
      if (curMs >= toMs) pause();
    }, PLAY_TICK_MS);
  }
  function pause(): void {
    if (playing) clearInterval(playing);
    playing = undefined;
    playBtn.textContent = t('hist.play');
    playBtn.dataset['playing'] = 'false';
  }

  const load = async () => {
    fromMs = new Date(from.value).getTime();
    toMs = new Date(to.value).getTime();
    try {
      const q = `fromMs=${fromMs}&toMs=${toMs}`;
      positions = (await api.get<HistPosition[]>(`/api/history/positions?${q}`)).sort((a, b) => a.tsMs - b.tsMs);
      const raw = await api.get<Record<string, Omit<HistEvent, 'group'>[]>>(`/api/history/events?${q}`);
      evs = Object.entries(raw)
        .filter(([group]) => group !== 'audit')
        .flatMap(([group, list]) => (Array.isArray(list) ? list.map((e) => ({ ...e, group })) : []))
        .sort((a, b) => a.tsMs - b.tsMs);
      ctx.setReplay(true);
      replayBanner.hidden = false;
      slider.disabled = false;
      playBtn.disabled = false;
      curMs = fromMs;
      toSlider();
      ctx.toast(t('hist.events', { n: evs.length }));
      render();
    } catch (err) {
      // 503: the telemetry store is down; 404: this server has no history routes at all.
      const reason = err instanceof ApiFailure && err.status === 503 ? t('hist.storeDown') : err instanceof ApiFailure && err.status === 404 ? t('hist.noService') : describeError(t, err);
      fill(events, h('li', { class: 'bad', 'data-testid': 'hist-unavailable' }, t('hist.unavailable', { reason })));
    }
  };
  const live = () => {
    pause();
    ctx.setReplay(false);
    replayBanner.hidden = true;
    layer.clearLayers();
    slider.disabled = true;
    playBtn.disabled = true;
    positions = [];
    evs = [];
    fill(events);
    at.textContent = '';
  };
  const replayBanner = h('div', { class: 'banner', hidden: true, 'data-testid': 'hist-replay-banner' }, t('hist.replayMode'));

  // Audit: who did what, newest first.
  const auditBox = h('div', { 'data-testid': 'audit-view' });
  const auditWording: AuditWording = {
    act: (key, params) => (`audit.act.${key}` in EN ? t(`audit.act.${key}` as MessageKey, params) : undefined),
    drone: (id) => droneName(ctx.site, id),
    commandName: (a) => kindName(t, a === 'loiter' ? 'loiter' : a),
  };
  const loadAudit = async () => {
    const rows = await api.get<AuditRow[]>(`/api/audit?sinceMs=${new Date(from.value).getTime()}&limit=500`);
    const sorted = [...rows].sort((a, b) => b.tsMs - a.tsMs);
    fill(
      auditBox,
      h(
        'table',
        { class: 'audit-table' },
        h('thead', {}, h('tr', {}, ...(['audit.col.time', 'audit.col.user', 'audit.col.action', 'audit.col.target', 'audit.col.result'] as MessageKey[]).map((k) => h('th', {}, t(k))))),
        h(
          'tbody',
          {},
          ...sorted.map((r) =>
            h(
              'tr',
              { 'data-testid': 'audit-row', 'data-outcome': r.outcome },
              h('td', {}, fmtTime(r.tsMs)),
              h('td', {}, r.username),
              h('td', { 'data-testid': 'audit-action', title: r.action }, auditAction(r, auditWording)),
              h('td', { 'data-testid': 'audit-target' }, auditTarget(r, auditWording)),
              h('td', { class: r.outcome === 'ok' ? 'ok' : 'bad' }, wording.word('audit', r.outcome)),
            ),
          ),
        ),
      ),
    );
  };

  const replayView = h(
    'div',
    {},
    h('label', {}, t('hist.from'), ' ', from),
    h('label', {}, t('hist.to'), ' ', to),
    h('div', {}, h('button', { 'data-testid': 'hist-load', onclick: () => void load() }, t('hist.load')), h('button', { 'data-testid': 'hist-live', onclick: live }, t('hist.live'))),
    replayBanner,
    h('div', { class: 'replay-bar' }, playBtn, h('label', {}, t('hist.speed'), ' ', speed)),
    slider,
    at,
    h('div', { class: 'replay-bar' }, ...filters.map((f) => h('label', {}, f, t(`hist.group.${f.value}` as MessageKey)))),
    events,
  );
  const auditView = h('div', { hidden: true }, h('button', { 'data-testid': 'audit-load', onclick: () => void loadAudit().catch((err) => ctx.toast(describeError(t, err), 'error')) }, t('audit.load')), auditBox);
  const modeBtn = (m: 'replay' | 'audit', label: string) =>
    h('button', { 'data-testid': `hist-mode-${m}`, class: m === 'replay' ? 'active' : '', onclick: (e) => setMode(m, e.target as HTMLButtonElement) }, label);
  const modes = h('div', { class: 'tabs' }, modeBtn('replay', t('hist.replay')), modeBtn('audit', t('audit.title')));
  function setMode(m: 'replay' | 'audit', btn: HTMLButtonElement): void {
    for (const b of modes.querySelectorAll('button')) b.classList.toggle('active', b === btn);
    replayView.hidden = m !== 'replay';
    auditView.hidden = m !== 'audit';
    if (m === 'audit') {
      live();
      void loadAudit().catch((err) => ctx.toast(describeError(t, err), 'error'));
    }
  }
  const el = h('section', { class: 'panel' }, modes, replayView, auditView);
  return { el, dispose: () => (pause(), ctx.setReplay(false), layer.remove()) };
}

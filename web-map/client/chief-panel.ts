import L from 'leaflet';
import type { Ctx } from './context.ts';
import { actionButton } from './actions.ts';
import { can } from './context.ts';
import { fill, h } from './dom.ts';
import { deliveryName, ringName, speakerName } from './names.ts';
import type { DeliverySnapshot, Point, Warning } from './types.ts';

type TargetMode = 'rings' | 'polygon' | 'radius';

/** Broadcasts (targets, message, volume, loop, live per-speaker delivery, stop) and the warning library. */
export function chiefPanel(ctx: Ctx): { el: HTMLElement; dispose(): void } {
  const { t, store, api } = ctx;
  if (!can(ctx.user, 'broadcast.send')) {
    return { el: h('section', { class: 'panel' }, h('p', { class: 'muted', 'data-testid': 'broadcast-forbidden' }, t('bc.notAllowed'))), dispose: () => undefined };
  }
  let mode: TargetMode = 'rings';
  let polygon: Point[] = [];
  let center: Point | undefined;
  let current: string | undefined;
  const sketch = L.layerGroup().addTo(ctx.map);
  const ringChecks = ctx.site.rings.map((r) => h('input', { type: 'checkbox', value: r.id, 'data-testid': `bc-ring-${r.id}`, checked: r.id === 'containment' }));
  const radius = h('input', { type: 'number', min: 10, max: 5000, value: 300, class: 'num', 'data-testid': 'bc-radius' });
  const targetHint = h('div', { class: 'muted', 'data-testid': 'bc-target-hint' });
  const warningSel = h('select', { 'data-testid': 'bc-warning' });
  const text = h('textarea', { rows: 2, placeholder: t('bc.text'), 'data-testid': 'bc-text' });
  const lang = h('select', { 'data-testid': 'bc-lang' }, h('option', { value: 'zh-CN' }, '中文'), h('option', { value: 'en' }, 'English'));
  const volume = h('input', { type: 'range', min: 0, max: 100, value: 80, 'data-testid': 'bc-volume' });
  const volumeLabel = h('span', {}, t('bc.volume', { pct: 80 }));
  volume.addEventListener('input', () => (volumeLabel.textContent = t('bc.volume', { pct: volume.value })));
  const loop = h('input', { type: 'checkbox', 'data-testid': 'bc-loop' });
  const delivery = h('div', { class: 'delivery', 'data-testid': 'bc-delivery' });
  const libList = h('ul', { class: 'library', 'data-testid': 'lib-list' });

  const drawSketch = () => {
    sketch.clearLayers();
    const pts = polygon.map((p) => ctx.toMap(p)).map((p) => L.latLng(p.latDeg, p.lonDeg));
    if (mode === 'polygon' && pts.length) L.polygon(pts, { color: '#ff6f00', weight: 2, dashArray: '4 3', fillOpacity: 0.1 }).addTo(sketch);
    if (mode === 'radius' && center) {
      const c = ctx.toMap(center);
      L.circle(L.latLng(c.latDeg, c.lonDeg), { radius: Number(radius.value), color: '#ff6f00', weight: 2, fillOpacity: 0.1 }).addTo(sketch);
    }
  };
  radius.addEventListener('input', drawSketch);
  const setMode = (m: TargetMode) => {
    mode = m;
    ctx.cancelPick();
    if (m === 'polygon') {
      polygon = [];
      const hint = () => t('bc.draw', { n: polygon.length });
      ctx.pick(hint(), (p) => ((polygon = [...polygon, p]), (targetHint.textContent = hint()), drawSketch()), true);
      targetHint.textContent = hint();
    } else if (m === 'radius') {
      targetHint.textContent = t('bc.center');
      ctx.pick(t('bc.center'), (p) => ((center = p), drawSketch()), true);
    } else targetHint.textContent = '';
    drawSketch();
  };
  const modeRadio = (m: TargetMode, label: string) =>
    h('label', {}, h('input', { type: 'radio', name: 'bc-mode', value: m, checked: m === mode, 'data-testid': `bc-mode-${m}`, onchange: () => setMode(m) }), label);

  const target = () => {
    if (mode === 'polygon') return { kind: 'polygon', points: polygon };
    if (mode === 'radius') return { kind: 'radius', center, radiusM: Number(radius.value) };
    return { kind: 'rings', ringIds: ringChecks.filter((c) => c.checked).map((c) => c.value) };
  };
  const send = async () => {
      const source = text.value.trim()
        ? { kind: 'tts', text: text.value.trim(), lang: lang.value }
        : (() => {
            const w = (store.warnings ?? []).find((x) => x.id === warningSel.value);
            return w ? { kind: 'tts', text: w.text, lang: w.lang } : { kind: 'clip', clipId: warningSel.value };
          })();
      const snap = await api.post<DeliverySnapshot>('/api/broadcasts', { target: target(), source, volumePct: Number(volume.value), loop: loop.checked, priority: 5 });
      current = snap.broadcastId;
      store.applyNow([{ type: 'broadcast', data: snap }]);
  };
  const stop = async () => void (current && store.applyNow([{ type: 'broadcast', data: await api.post(`/api/broadcasts/${encodeURIComponent(current)}/stop`) }]));
  const targetWords = () => {
    if (mode === 'polygon') return t('bc.byPolygon');
    if (mode === 'radius') return `${t('bc.byRadius')} ${radius.value} m`;
    return ringChecks.filter((c) => c.checked).map((c) => ringName(t, ctx.site, c.value)).join(ctx.lang === 'zh-CN' ? '、' : ', ');
  };

  const renderDelivery = () => {
    const snap = current ? store.broadcasts.get(current) : undefined;
    if (!snap) return fill(delivery);
    const summary = Object.entries(snap.counts).filter(([, n]) => n > 0).map(([k, n]) => `${deliveryName(t, k)} ${n}`).join(' · ');
    fill(
      delivery,
      h('div', { 'data-testid': 'bc-summary', 'data-done': String(snap.done) }, t('bc.delivery', { summary })),
      h('ul', {}, ...snap.speakers.map((s) => h('li', { 'data-testid': 'bc-speaker', 'data-state': s.state, 'data-speaker': s.speakerId }, `${speakerName(ctx.site, s.speakerId)}: ${deliveryName(t, s.state)}${s.progressPct !== undefined ? ` ${s.progressPct}%` : ''}${s.reason ? ` (${s.reason})` : ''}`))),
    );
  };

  const lib = { id: h('input', { placeholder: t('lib.id'), 'data-testid': 'lib-id' }), title: h('input', { placeholder: t('lib.titleField'), 'data-testid': 'lib-title' }), text: h('textarea', { rows: 2, placeholder: t('bc.text'), 'data-testid': 'lib-text' }), lang: h('select', { 'data-testid': 'lib-lang' }, h('option', { value: 'zh-CN' }, '中文'), h('option', { value: 'en' }, 'English')) };
  const mayLib = can(ctx.user, 'warning.manage');
  const saveWarning = async () => {
      const w: Warning = { id: lib.id.value.trim(), title: lib.title.value.trim(), lang: lib.lang.value as Warning['lang'], text: lib.text.value.trim() };
      await api.call('PUT', `/api/warnings/${encodeURIComponent(w.id)}`, w);
      store.applyNow([{ type: 'warnings', data: await api.get<Warning[]>('/api/warnings') }]);
  };
  const deleteWarning = async (id: string) => {
      await api.call('DELETE', `/api/warnings/${encodeURIComponent(id)}`);
      store.applyNow([{ type: 'warnings', data: await api.get<Warning[]>('/api/warnings') }]);
  };
  const renderLibrary = () => {
    const ws = store.warnings ?? [];
    const sel = warningSel.value;
    fill(warningSel, ...ws.map((w) => h('option', { value: w.id, selected: w.id === sel }, `${w.title} (${w.lang === 'zh-CN' ? '中文' : 'English'})`)));
    fill(libList, ...ws.map((w) => h('li', { 'data-testid': 'lib-item', 'data-id': w.id }, h('b', {}, w.title), ` ${w.text.slice(0, 40)} `, actionButton(ctx, { testId: 'lib-delete', label: t('lib.delete'), disabled: !mayLib, confirm: () => t('confirm.deleteWarning', { title: w.title }), run: () => deleteWarning(w.id) }))));
  };

  const unsubscribe = store.subscribe((changed) => {
    if (changed.has('broadcasts')) renderDelivery();
    if (changed.has('warnings')) renderLibrary();
  });
  renderLibrary();
  const el = h(
    'section',
    { class: 'panel' },
    h('h3', {}, t('bc.targets')),
    h('div', {}, modeRadio('rings', t('bc.byRing')), modeRadio('polygon', t('bc.byPolygon')), modeRadio('radius', t('bc.byRadius'))),
    h('div', { class: 'rings' }, ...ringChecks.map((c, i) => h('label', {}, c, ringName(t, ctx.site, ctx.site.rings[i]!.id)))),
    h('label', {}, t('bc.radius'), ' ', radius),
    targetHint,
    h('button', { onclick: () => ((polygon = []), (center = undefined), drawSketch()) }, t('bc.clear')),
    h('h3', {}, t('bc.message')),
    h('label', {}, t('bc.approved'), ' ', warningSel),
    h('label', {}, t('bc.custom'), ' ', lang),
    text,
    h('div', {}, volumeLabel, ' ', volume),
    h('label', {}, loop, t('bc.loop')),
    h('div', {}, actionButton(ctx, { testId: 'bc-send', className: 'primary', label: t('bc.send'), confirm: () => t('confirm.broadcast', { targets: targetWords() }), run: send }), actionButton(ctx, { testId: 'bc-stop', label: t('bc.stop'), run: stop })),
    delivery,
    h('h3', {}, t('lib.title')),
    libList,
    h('div', { class: 'lib-form' }, lib.id, lib.title, lib.lang, lib.text, actionButton(ctx, { testId: 'lib-save', label: t('lib.save'), disabled: !mayLib, run: saveWarning })),
  );
  return { el, dispose: () => (unsubscribe(), ctx.cancelPick(), sketch.remove()) };
}

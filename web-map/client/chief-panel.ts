import L from 'leaflet';
import type { Ctx } from './context.ts';
import { actionButton } from './actions.ts';
import { can } from './context.ts';
import { fill, h } from './dom.ts';
import { deliveryName, ringName, speakerName } from './names.ts';
import { broadcastSource, defaultWarningId, speakersFor, targetReady, type BroadcastTarget } from './broadcast-targets.ts';
import type { DeliverySnapshot, Point, Warning } from './types.ts';

type TargetMode = 'rings' | 'polygon' | 'radius';

/** The site file's warnings, which its speakers hold as clips (GET /api/site `clips`; absent from older servers). */
const siteClips = (ctx: Ctx): readonly Warning[] => (ctx.site as { clips?: Warning[] }).clips ?? [];

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
  const ringChecks = ctx.site.rings.map((r) => h('input', { type: 'checkbox', value: r.id, 'data-testid': `bc-ring-${r.id}`, checked: r.id === 'containment', onchange: () => refreshTargets() }));
  const radius = h('input', { type: 'number', min: 10, max: 5000, value: 300, class: 'num', 'data-testid': 'bc-radius' });
  const targetHint = h('div', { class: 'muted', 'data-testid': 'bc-target-hint' });
  const speakersLine = h('div', { class: 'bc-speakers', 'data-testid': 'bc-speakers' });
  const clearBtn = h('button', { 'data-testid': 'bc-clear', onclick: () => ((polygon = []), (center = undefined), drawSketch()) }, t('bc.clear'));
  // The message is either an approved warning or typed text, chosen explicitly: typed
  // text never replaces a chosen warning without the chief saying so.
  let source: 'warning' | 'text' = 'warning';
  const warningSel = h('select', { 'data-testid': 'bc-warning', onchange: () => renderSourceNote() });
  const text = h('textarea', { rows: 2, placeholder: t('bc.text'), 'data-testid': 'bc-text', oninput: () => renderSourceNote() });
  const lang = h('select', { 'data-testid': 'bc-lang' }, h('option', { value: 'zh-CN', selected: ctx.lang === 'zh-CN' }, '中文'), h('option', { value: 'en', selected: ctx.lang === 'en' }, 'English'));
  const sourceNote = h('div', { class: 'muted', 'data-testid': 'bc-source-note' });
  const audio = h('audio', { controls: true, hidden: true, 'data-testid': 'bc-audio' });
  const volume = h('input', { type: 'range', min: 0, max: 100, value: 80, 'data-testid': 'bc-volume' });
  const volumeLabel = h('span', {}, t('bc.volume', { pct: 80 }));
  volume.addEventListener('input', () => (volumeLabel.textContent = t('bc.volume', { pct: volume.value })));
  const loop = h('input', { type: 'checkbox', 'data-testid': 'bc-loop' });
  const delivery = h('div', { class: 'delivery', 'data-testid': 'bc-delivery' });
  const libList = h('ul', { class: 'library', 'data-testid': 'lib-list' });
  // The speakers the current target reaches, ringed on the map before anything is sent.
  // SVG, not the map's shared canvas: a few rings, each an element a test and a screen reader can find.
  const highlight = L.layerGroup().addTo(ctx.map);
  const highlightRenderer = L.svg();
  let targeted: ReturnType<typeof speakersFor> = [];

  const drawSketch = () => {
    sketch.clearLayers();
    const pts = polygon.map((p) => ctx.toMap(p)).map((p) => L.latLng(p.latDeg, p.lonDeg));
    if (mode === 'polygon' && pts.length) L.polygon(pts, { color: '#ff6f00', weight: 2, dashArray: '4 3', fillOpacity: 0.1 }).addTo(sketch);
    if (mode === 'radius' && center) {
      const c = ctx.toMap(center);
      L.circle(L.latLng(c.latDeg, c.lonDeg), { radius: Number(radius.value), color: '#ff6f00', weight: 2, fillOpacity: 0.1 }).addTo(sketch);
    }
    refreshTargets();
  };
  radius.addEventListener('input', drawSketch);
  // Controls that do not apply to the chosen targeting are disabled, not merely ignored.
  const setMode = (m: TargetMode) => {
    mode = m;
    ctx.cancelPick();
    for (const c of ringChecks) c.disabled = m !== 'rings';
    radius.disabled = m !== 'radius';
    clearBtn.disabled = m === 'rings';
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

  const target = (): BroadcastTarget => {
    if (mode === 'polygon') return { kind: 'polygon', points: polygon };
    if (mode === 'radius') return { kind: 'radius', center, radiusM: Number(radius.value) };
    return { kind: 'rings', ringIds: ringChecks.filter((c) => c.checked).map((c) => c.value) };
  };
  const dronePosition = (droneId: string) => {
    const tm = store.drones.get(droneId)?.telemetry;
    return tm ? { latDeg: tm.latDeg, lonDeg: tm.lonDeg } : undefined;
  };
  function refreshTargets(): void {
    targeted = speakersFor(ctx.site, target(), dronePosition);
    highlight.clearLayers();
    for (const s of targeted) {
      const q = ctx.toMap(s.position);
      L.circleMarker(L.latLng(q.latDeg, q.lonDeg), { radius: 11, color: '#ff6f00', weight: 3, fill: false, className: 'bc-target-ring', renderer: highlightRenderer }).addTo(highlight);
    }
    const names = targeted.map((s) => speakerName(ctx.site, s.id)).join(ctx.lang === 'zh-CN' ? '、' : ', ');
    speakersLine.dataset['count'] = String(targeted.length);
    speakersLine.textContent = targeted.length ? t('bc.speakers', { n: targeted.length, names }) : t('bc.noSpeakers');
    sendBtn.disabled = !targetReady(target()) || targeted.length === 0;
  }
  const chosenSource = () =>
    broadcastSource(source === 'text' ? { kind: 'text', text: text.value, lang: lang.value as 'zh-CN' | 'en' } : { kind: 'warning', warningId: warningSel.value }, store.warnings ?? [], siteClips(ctx));
  function setSource(s: 'warning' | 'text'): void {
    source = s;
    warningSel.disabled = s !== 'warning';
    text.disabled = lang.disabled = s !== 'text';
    renderSourceNote();
  }
  function renderSourceNote(): void {
    const src = chosenSource();
    sourceNote.dataset['kind'] = src?.kind ?? 'none';
    sourceNote.textContent = !src ? t('bc.needText') : src.kind === 'clip' ? t('bc.sendsClip') : t('bc.sendsText');
  }
  const sourceRadio = (s: 'warning' | 'text', label: string) =>
    h('label', {}, h('input', { type: 'radio', name: 'bc-source', value: s, checked: s === source, 'data-testid': `bc-source-${s}`, onchange: () => setSource(s) }), label);
  // Hear it first, rendered on the server as the speakers will render it (espeak-ng).
  const preview = async () => {
    const src = chosenSource();
    if (!src) return void ctx.toast(t('bc.needText'), 'error');
    const w = src.kind === 'clip' ? (store.warnings ?? []).find((x) => x.id === src.clipId) : undefined;
    const body = src.kind === 'tts' ? { text: src.text, lang: src.lang } : { text: w!.text, lang: w!.lang };
    const url = `/api/broadcasts/preview?text=${encodeURIComponent(body.text)}&lang=${encodeURIComponent(body.lang)}`;
    // Asked once here for a refusal in words; the player then loads the same (cached) answer.
    const blob = await api.getBlob(url);
    audio.src = url;
    audio.dataset['bytes'] = String(blob.size);
    audio.hidden = false;
    await audio.play().catch(() => undefined); // autoplay may be refused; the controls remain
  };
  const send = async () => {
    const src = chosenSource();
    if (!src) throw new Error(t('bc.needText'));
    const snap = await api.post<DeliverySnapshot>('/api/broadcasts', { target: target(), source: src, volumePct: Number(volume.value), loop: loop.checked, priority: 5 });
    current = snap.broadcastId;
    store.applyNow([{ type: 'broadcast', data: snap }]);
    // Sent: the map is the map again, not a drawing board.
    ctx.cancelPick();
    targetHint.textContent = '';
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
    // The default warning follows the console's language (the ring's own default first).
    const sel = ws.some((w) => w.id === warningSel.value) ? warningSel.value : defaultWarningId(ws, ctx.site.rings.map((r) => r.defaultWarning), ctx.lang);
    fill(warningSel, ...ws.map((w) => h('option', { value: w.id, selected: w.id === sel }, `${w.title} (${w.lang === 'zh-CN' ? '中文' : 'English'})`)));
    fill(libList, ...ws.map((w) => h('li', { 'data-testid': 'lib-item', 'data-id': w.id }, h('b', {}, w.title), ` ${w.text.slice(0, 40)} `, actionButton(ctx, { testId: 'lib-delete', label: t('lib.delete'), disabled: !mayLib, confirm: () => t('confirm.deleteWarning', { title: w.title }), run: () => deleteWarning(w.id) }))));
  };

  const unsubscribe = store.subscribe((changed) => {
    if (changed.has('broadcasts')) renderDelivery();
    if (changed.has('warnings')) {
      renderLibrary();
      renderSourceNote();
    }
    // Drone-mounted speakers move with their drones.
    if (changed.has('drones') && mode !== 'rings' && ++droneTicks % 20 === 0) refreshTargets();
  });
  let droneTicks = 0;
  const sendBtn = actionButton(ctx, { testId: 'bc-send', className: 'primary', label: t('bc.send'), confirm: () => t('confirm.broadcastN', { n: targeted.length, targets: targetWords() }), run: send });
  renderLibrary();
  const el = h(
    'section',
    { class: 'panel' },
    h('h3', {}, t('bc.targets')),
    h('div', {}, modeRadio('rings', t('bc.byRing')), modeRadio('polygon', t('bc.byPolygon')), modeRadio('radius', t('bc.byRadius'))),
    h('div', { class: 'rings' }, ...ringChecks.map((c, i) => h('label', {}, c, ringName(t, ctx.site, ctx.site.rings[i]!.id)))),
    h('label', {}, t('bc.radius'), ' ', radius),
    targetHint,
    clearBtn,
    speakersLine,
    h('h3', {}, t('bc.message')),
    h('div', {}, sourceRadio('warning', t('bc.approved')), ' ', warningSel),
    h('div', {}, sourceRadio('text', t('bc.custom')), ' ', lang),
    text,
    sourceNote,
    h('div', {}, actionButton(ctx, { testId: 'bc-preview', label: t('bc.preview'), run: preview }), ' ', audio),
    h('div', {}, volumeLabel, ' ', volume),
    h('label', {}, loop, t('bc.loop')),
    h('div', {}, sendBtn, actionButton(ctx, { testId: 'bc-stop', label: t('bc.stop'), run: stop })),
    delivery,
    h('h3', {}, t('lib.title')),
    libList,
    h('div', { class: 'lib-form' }, lib.id, lib.title, lib.lang, lib.text, actionButton(ctx, { testId: 'lib-save', label: t('lib.save'), disabled: !mayLib, run: saveWarning })),
  );
  setMode(mode);
  setSource(source);
  return { el, dispose: () => (unsubscribe(), ctx.cancelPick(), sketch.remove(), highlight.remove(), audio.removeAttribute('src')) };
}

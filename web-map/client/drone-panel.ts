import type { Ctx } from './context.ts';
import { can, describeError, fmtTime } from './context.ts';
import { actionButton } from './actions.ts';
import { fill, h } from './dom.ts';
import { droneName, kindName } from './names.ts';
import type { MessageKey } from './i18n.ts';
import type { LiveStore } from './live-store.ts';
import { LEDGER_FINAL, type LedgerRecord, type LedgerState } from './types.ts';
import { outcomeView, wayLeft } from './outcome-view.ts';

/** Longest wait for one step of a command sequence before giving up on the rest. */
const STEP_TIMEOUT_MS = 60_000;

/** Refresh at most this often: telemetry comes every frame, eyes do not need it. */
const DETAIL_REFRESH_MS = 250;

/** The drone list, the selected drone's details, its commands and their ledger states. */
export function dronePanel(ctx: Ctx, selectedId: string | undefined): { el: HTMLElement; dispose(): void } {
  const { t, store } = ctx;
  const summary = h('div', { class: 'muted', 'data-testid': 'drone-count' });
  // Several drones may be selected (Ctrl/Shift-click) for return-home and hold; the
  // details and the command list show the first.
  let selectedIds: string[] = selectedId ? [selectedId] : [];
  const selectionNote = h('div', { class: 'muted', 'data-testid': 'drone-selection' });
  const list = h('select', {
    size: 8,
    multiple: true,
    class: 'drone-list',
    'data-testid': 'drone-list',
    onchange: (e) => {
      const ids = [...(e.target as HTMLSelectElement).selectedOptions].map((o) => o.value);
      selectedIds = ids;
      renderSelection();
      if (ids[0] !== selectedId) ctx.selectDrone(ids[0]);
    },
  });
  const details = h('div', { class: 'drone-details', 'data-testid': 'drone-details' });
  const ledgerBox = h('ul', { class: 'ledger', 'data-testid': 'drone-ledger' });
  const allowed = can(ctx.user, 'drone.command');
  const alt = h('input', { type: 'number', min: 5, max: 120, value: 40, class: 'num', 'data-testid': 'cmd-alt' });

  const send = async (body: Record<string, unknown>): Promise<LedgerRecord | undefined> => {
    if (!selectedId) return undefined;
    try {
      const rec = await ctx.api.post<LedgerRecord>(`/api/drones/${encodeURIComponent(selectedId)}/commands`, body);
      store.applyNow([{ type: 'ledger', data: rec }]);
      return rec;
    } catch (err) {
      ctx.toast(describeError(t, err), 'error');
      return undefined;
    }
  };
  // ArduPilot takes off only armed in GUIDED: three ledger records, each sent after the
  // previous one succeeded on the drone, stopping at the first refusal (shown with its reason).
  const takeoff = async () => {
    for (const step of [{ action: 'set_mode', mode: 'GUIDED' }, { action: 'arm' }, { action: 'takeoff', altitudeRelM: Number(alt.value) }]) {
      const rec = await send(step);
      if (!rec || (await settled(store, rec.id)) !== 'succeeded') return;
    }
  };
  const name = () => (selectedId ? droneName(ctx.site, selectedId) : '');
  const chosen = () => (selectedIds.length ? selectedIds : selectedId ? [selectedId] : []);
  const names = () => chosen().map((id) => droneName(ctx.site, id)).join(ctx.lang === 'zh-CN' ? '、' : ', ');
  // Return home and hold go to every selected drone, each its own ledger record.
  const sendAll = async (body: Record<string, unknown>) => {
    for (const id of chosen()) {
      try {
        const rec = await ctx.api.post<LedgerRecord>(`/api/drones/${encodeURIComponent(id)}/commands`, body);
        store.applyNow([{ type: 'ledger', data: rec }]);
      } catch (err) {
        ctx.toast(`${droneName(ctx.site, id)}: ${describeError(t, err)}`, 'error');
      }
    }
  };
  const manyConfirm = (one: () => string, many: 'confirm.rtlMany' | 'confirm.holdMany') => () => (chosen().length > 1 ? t(many, { n: chosen().length, drones: names() }) : one());
  function renderSelection(): void {
    selectionNote.textContent = selectedIds.length > 1 ? t('drones.selected', { n: selectedIds.length }) : '';
    selectionNote.dataset['count'] = String(selectedIds.length);
  }
  const button = (key: MessageKey, action: string, run: () => Promise<unknown>, confirm?: () => string) =>
    actionButton(ctx, { testId: `cmd-${action}`, label: t(key), disabled: !allowed || !selectedId, confirm, run: async () => void (await run()) });

  const commands = h(
    'div',
    { class: 'commands' },
    h('label', {}, t('cmd.altitude'), ' ', alt),
    button('cmd.takeoff', 'takeoff', takeoff),
    button('cmd.rtl', 'rtl', () => sendAll({ action: 'rtl' }), manyConfirm(() => t('confirm.rtl', { drone: name() }), 'confirm.rtlMany')),
    // ArduPilot LOITER / PX4 HOLD: stay where it is (the API's `loiter`).
    button('cmd.hold', 'hold', () => sendAll({ action: 'loiter' }), manyConfirm(() => t('confirm.hold', { drone: name() }), 'confirm.holdMany')),
    button('cmd.land', 'land', () => send({ action: 'land' }), () => t('confirm.land', { drone: name() })),
    button('cmd.goto', 'goto', () =>
      // Busy until the point is picked and the command answered (or the pick cancelled).
      new Promise<void>((resolve) =>
        ctx.pick(t('cmd.goto.pick'), (p) => void send({ action: 'goto', latDeg: p.latDeg, lonDeg: p.lonDeg, altitudeRelM: Number(alt.value) }).finally(resolve), false, resolve),
      ),
    ),
  );

  let lastListKey = '';
  const renderList = () => {
    const drones = store.droneList();
    const online = drones.filter((d) => d.link === 'ok').length;
    summary.textContent = t('drones.count', { n: drones.length, online });
    const key = drones.map((d) => d.id + d.link).join(',');
    if (key === lastListKey) return;
    lastListKey = key;
    fill(list, ...drones.slice(0, 2000).map((d) => h('option', { value: d.id, selected: d.id === selectedId || selectedIds.includes(d.id) }, `${ctx.drones.names.get(d.id) ?? d.id}${d.link === 'ok' ? '' : ` — ${t(`link.${d.link}`)}`}`)));
  };

  const renderDetails = () => {
    const d = selectedId ? store.drones.get(selectedId) : undefined;
    if (!selectedId || !d) return fill(details, h('p', { class: 'muted' }, t('drone.none')));
    const tm = d.telemetry;
    const row = (k: MessageKey, v: string, cls = '') => h('tr', {}, h('th', {}, t(k)), h('td', { class: cls }, v));
    fill(
      details,
      h('h3', {}, ctx.drones.names.get(d.id) ?? d.id, ' ', h('small', {}, d.id)),
      h(
        'table',
        {},
        row('drone.link', t(`link.${d.link}`), d.link === 'ok' ? 'ok' : 'bad'),
        tm ? row('drone.battery', `${tm.batteryPct.toFixed(0)} % (${tm.batteryV.toFixed(1)} V)`, tm.batteryPct < 25 ? 'bad' : '') : null,
        tm ? row('drone.mode', `${tm.mode} · ${tm.armed ? t('drone.armed') : t('drone.disarmed')}`) : null,
        tm ? row('drone.alt', `${tm.altRelM.toFixed(1)} m`) : null,
        tm ? row('drone.speed', `${tm.groundSpeedMps.toFixed(1)} m/s · ${tm.headingDeg.toFixed(0)}°`) : null,
      ),
    );
  };

  const renderLedger = () => {
    if (!selectedId) return fill(ledgerBox);
    fill(ledgerBox, ...store.ledgerFor(selectedId, 8).map((r) => ledgerItem(ctx, r)));
  };

  let last = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const unsubscribe = store.subscribe((changed) => {
    if (changed.has('ledger')) renderLedger();
    if (!changed.has('drones')) return;
    const wait = DETAIL_REFRESH_MS - (performance.now() - last);
    if (wait <= 0) {
      last = performance.now();
      renderList();
      renderDetails();
    } else timer ??= setTimeout(() => ((timer = undefined), (last = performance.now()), renderList(), renderDetails()), wait);
  });
  renderList();
  renderDetails();
  renderLedger();
  renderSelection();
  const el = h('section', { class: 'panel' }, summary, list, selectionNote, details, allowed ? commands : h('p', { class: 'muted' }, t('err.forbidden')), ledgerBox);
  return { el, dispose: () => (unsubscribe(), timer && clearTimeout(timer)) };
}

/**
 * One command and its outcome in words: waiting → accepted → under way (distance, time to
 * go) → achieved only when the server's record says the vehicle did it; a refusal with its
 * reason. A command still open can be cancelled (POST /api/ledger/:id/cancel).
 */
export function ledgerItem(ctx: Ctx, r: LedgerRecord): HTMLElement {
  const { t } = ctx;
  const v = outcomeView(r);
  const bad = v.phase === 'failed' || v.phase === 'timed_out';
  const way = wayLeft(v);
  const mayCancel = !v.final && r.target.kind === 'drone' && can(ctx.user, 'drone.command');
  return h(
    'li',
    { class: `ledger-${r.state}`, 'data-testid': 'ledger-item', 'data-state': r.state, 'data-outcome': v.phase, 'data-kind': r.kind },
    h('b', {}, kindName(t, r.kind)),
    ' ',
    h('span', { class: bad ? 'bad' : v.final ? 'ok' : 'pending', 'data-testid': 'ledger-outcome' }, t(`outcome.${v.phase}` as MessageKey)),
    way ? h('span', { 'data-testid': 'ledger-way' }, ` · ${t('outcome.way', { way })}`) : v.progressPct !== undefined && !v.final ? ` · ${Math.round(v.progressPct)}%` : '',
    ' ',
    h('small', {}, fmtTime(r.updatedMs)),
    mayCancel
      ? actionButton(ctx, {
          testId: 'ledger-cancel',
          className: 'small',
          label: t('cmd.cancelCmd'),
          confirm: () => t('confirm.cancelCmd', { kind: kindName(t, r.kind), drone: droneName(ctx.site, r.target.id) }),
          run: async () => void ctx.store.applyNow([{ type: 'ledger', data: await ctx.api.post<LedgerRecord>(`/api/ledger/${encodeURIComponent(r.id)}/cancel`) }]),
        })
      : null,
    bad && v.detail ? h('div', { class: 'reason', 'data-testid': 'ledger-reason' }, t('ledger.reason', { detail: v.detail })) : null,
  );
}

/** Resolves with a ledger record's final state as the live stream reports it. */
export function settled(store: LiveStore, id: string): Promise<LedgerState | 'unknown'> {
  return new Promise((resolve) => {
    const check = () => {
      const st = store.ledger.get(id)?.state;
      if (st && LEDGER_FINAL.includes(st)) {
        stop();
        resolve(st);
      }
    };
    const unsubscribe = store.subscribe((c) => c.has('ledger') && check());
    const timer = setTimeout(() => (stop(), resolve('unknown')), STEP_TIMEOUT_MS);
    const stop = () => (unsubscribe(), clearTimeout(timer));
    check();
  });
}

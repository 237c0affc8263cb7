/**
 * The operator's attention, on every tab: a bell with the count of unacknowledged alerts
 * (also in the page title), a drop-down list with severity, a banner for critical alerts
 * until acknowledged, and a beep for each new one unless this user muted it.
 */
import { AlertBook, type Alert, type CommandView } from './alert-rules.ts';
import { beep } from './beep.ts';
import type { Ctx } from './context.ts';
import { fmtTime } from './context.ts';
import { fill, h } from './dom.ts';
import type { MessageKey } from './i18n.ts';
import { alarmDrone, alarmPlace, alarmType, alarmTypeName, droneName, ringName } from './names.ts';
import type { Point } from './types.ts';

/** Drones are checked at most this often: telemetry arrives every frame, alerts need not. */
const OBSERVE_EVERY_MS = 250;

export interface Attention {
  /** The bell and mute switch, for the top bar (rebuilt with it). */
  headerItems(): HTMLElement[];
  /** Alerts panel and the critical banner, placed once below the top bar. */
  readonly bannerEl: HTMLElement;
  readonly listEl: HTMLElement;
  /** Re-render in the current language. */
  render(): void;
  dispose(): void;
}

export function attention(ctx: Ctx, onTitle: (unacked: number) => void): Attention {
  const muteKey = `rw.mute.${ctx.user.username}`;
  // Acknowledged alarms are remembered per user, so a reload does not raise them again.
  const ackKey = `rw.acked.${ctx.user.username}`;
  const readAcked = (): string[] => {
    try {
      const v = JSON.parse(localStorage.getItem(ackKey) ?? '[]') as unknown;
      return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    } catch {
      return [];
    }
  };
  const book = new AlertBook(200, new Set(readAcked()));
  const rememberAcked = () => {
    const ids = book.list().filter((a) => a.kind === 'alarm' && a.acked).map((a) => a.subject);
    localStorage.setItem(ackKey, JSON.stringify([...new Set([...ids, ...readAcked()])].slice(0, 200)));
  };
  let muted = localStorage.getItem(muteKey) === '1';
  let open = false;
  const bannerEl = h('div', { class: 'alert-banners', 'data-testid': 'alert-banners' });
  const listEl = h('div', { class: 'alert-list', hidden: true, 'data-testid': 'alert-list' });

  const message = (a: Alert): string => {
    const { t, site } = ctx;
    if (a.kind === 'alarm') {
      const alarm = ctx.store.alarms.get(a.subject);
      return t('alert.alarm', {
        type: alarmTypeName(t, String(a.detail['type'])),
        place: alarm ? alarmPlace(site, alarm, t) : a.subject,
        ring: alarm ? ringName(t, site, alarm.ringId) : '',
      });
    }
    return t(`alert.${a.kind}` as MessageKey, { drone: droneName(site, a.subject), pct: a.detail['pct'] ?? '', mode: a.detail['mode'] ?? '' });
  };
  const whereOf = (a: Alert): Point | undefined => (a.kind === 'alarm' ? ctx.store.alarms.get(a.subject)?.position : ctx.store.drones.get(a.subject)?.telemetry);
  const show = (a: Alert) => {
    const p = whereOf(a);
    if (p) {
      const q = ctx.toMap(p);
      ctx.map.setView([q.latDeg, q.lonDeg], Math.max(ctx.map.getZoom(), 15));
    }
    const droneId = a.kind === 'alarm' ? a.detail['droneId'] : a.subject;
    if (droneId !== undefined) ctx.selectDrone(String(droneId));
  };
  const ack = (id?: string) => {
    if (id) book.ack(id);
    else book.ackAll();
    rememberAcked();
    render();
  };

  const bell = h('button', { class: 'bell', 'data-testid': 'alerts-toggle', onclick: () => ((open = !open), render()) });
  const mute = h('button', { class: 'link', 'data-testid': 'alerts-mute', onclick: () => ((muted = !muted), localStorage.setItem(muteKey, muted ? '1' : '0'), render()) });

  function render(): void {
    const { t } = ctx;
    const unacked = book.unacked();
    fill(bell, t('alerts.title'), unacked.length ? h('span', { class: `badge ${unacked.some((a) => a.severity === 'critical') ? 'critical' : ''}`, 'data-testid': 'alerts-badge' }, unacked.length) : null);
    mute.textContent = muted ? t('alerts.unmute') : t('alerts.mute');
    mute.dataset['muted'] = String(muted);
    onTitle(unacked.length);
    const critical = unacked.filter((a) => a.severity === 'critical');
    fill(
      bannerEl,
      critical.length
        ? h(
            'div',
            { class: 'banner critical', 'data-testid': 'banner-critical', role: 'alert' },
            h('span', { class: 'grow' }, t('alerts.critical', { message: message(critical[0]!) }), critical.length > 1 ? ` · ${t('alerts.more', { n: critical.length - 1 })}` : ''),
            h('button', { 'data-testid': 'banner-show', onclick: () => show(critical[0]!) }, t('alerts.show')),
            h('button', { 'data-testid': 'banner-ack', onclick: () => ack(critical[0]!.id) }, t('alerts.ack')),
          )
        : null,
    );
    listEl.hidden = !open;
    if (!open) return;
    const all = book.list().slice(0, 50);
    fill(
      listEl,
      h('div', { class: 'alert-list-head' }, h('b', {}, t('alerts.title')), h('button', { 'data-testid': 'alerts-ack-all', onclick: () => ack() }, t('alerts.ackAll'))),
      all.length === 0 ? h('p', { class: 'muted' }, t('alerts.none')) : null,
      h(
        'ul',
        {},
        ...all.map((a) =>
          h(
            'li',
            { class: `alert sev-${a.severity}${a.acked ? ' acked' : ''}`, 'data-testid': 'alert-item', 'data-kind': a.kind, 'data-severity': a.severity, 'data-acked': String(a.acked) },
            h('span', { class: `sev-tag ${a.severity}` }, t(`sev.${a.severity}`)),
            ' ',
            h('a', { href: '#', 'data-testid': 'alert-show', onclick: (e) => (e.preventDefault(), show(a)) }, message(a)),
            ' ',
            h('small', {}, fmtTime(a.atMs)),
            a.acked ? null : h('button', { 'data-testid': 'alert-ack', onclick: () => ack(a.id) }, t('alerts.ack')),
          ),
        ),
      ),
    );
  }

  let lastObserve = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const observe = () => {
    lastObserve = performance.now();
    const { store } = ctx;
    const commands: CommandView[] = [];
    for (const r of store.ledger.values()) commands.push({ targetId: r.target.id, kind: r.kind, mode: typeof r.payload['mode'] === 'string' ? r.payload['mode'] : undefined, createdMs: r.createdMs });
    const raised = book.observe(
      Date.now(),
      [...store.drones.values()].map((d) => ({ id: d.id, link: d.link, batteryPct: d.telemetry?.batteryPct, mode: d.telemetry?.mode })),
      [...store.alarms.values()].map((a) => ({ id: a.id, state: a.state, severity: a.severity, raisedAtMs: a.raisedAtMs, type: alarmType(a), droneId: alarmDrone(a) })),
      commands,
    );
    const fresh = raised.filter((a) => !a.initial);
    if (fresh.length && !muted) beep(fresh.some((a) => a.severity === 'critical'));
    if (raised.length || open) render();
  };
  const unsubscribe = ctx.store.subscribe((changed) => {
    if (changed.has('alarms')) return observe(); // an alarm is never delayed
    if (!changed.has('drones')) return;
    const wait = OBSERVE_EVERY_MS - (performance.now() - lastObserve);
    if (wait <= 0) observe();
    else timer ??= setTimeout(() => ((timer = undefined), observe()), wait);
  });
  render();
  return {
    headerItems: () => [bell, mute],
    bannerEl,
    listEl,
    render,
    /** The first look at the initial state (called once it is loaded). */
    dispose: () => (unsubscribe(), timer && clearTimeout(timer)),
  };
}

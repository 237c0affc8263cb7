import type { Ctx } from './context.ts';
import { can, describeError, fmtTime } from './context.ts';
import { fill, h } from './dom.ts';
import type { MessageKey } from './i18n.ts';
import type { Alarm } from './types.ts';

interface PlanRing {
  ringId: string;
  drones: unknown[] | number;
  loopLengthM: number;
  revisitIntervalS: number;
}

/** Patrols (preview, start, stop), dispatch to a clicked point, and the alarm queue. */
export function opsPanel(ctx: Ctx): { el: HTMLElement; dispose(): void } {
  const { t, store, api } = ctx;
  const mayPatrol = can(ctx.user, 'patrol.manage');
  const mayDispatch = can(ctx.user, 'dispatch');
  const mayAlarm = can(ctx.user, 'alarm.manage');
  const ringChecks = ctx.site.rings.map((r) => h('input', { type: 'checkbox', value: r.id, checked: true, 'data-testid': `patrol-ring-${r.id}` }));
  const ringIds = () => ringChecks.filter((c) => c.checked).map((c) => c.value);
  const planBox = h('div', { class: 'plan', 'data-testid': 'patrol-plan' });
  const patrolState = h('div', { class: 'muted', 'data-testid': 'patrol-state' });
  const alarmsBox = h('ul', { class: 'alarms', 'data-testid': 'alarm-list' });
  const note = h('input', { type: 'text', placeholder: t('dispatch.note'), 'data-testid': 'dispatch-note' });
  const warn = h('input', { type: 'checkbox', 'data-testid': 'dispatch-warn' });

  const guarded = async (fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      ctx.toast(describeError(t, err), 'error');
    }
  };

  const preview = () =>
    guarded(async () => {
      const plan = await api.post<{ rings: PlanRing[]; geojson?: unknown }>('/api/patrols/preview', {});
      ctx.setPreviewGeoJson(plan.geojson);
      fill(
        planBox,
        ...plan.rings.map((r) =>
          h(
            'div',
            { 'data-testid': `plan-${r.ringId}` },
            t('patrol.summary', {
              ring: ctx.site.rings.find((x) => x.id === r.ringId)?.name ?? r.ringId,
              drones: Array.isArray(r.drones) ? r.drones.length : r.drones,
              km: (r.loopLengthM / 1000).toFixed(1),
              revisit: Math.round(r.revisitIntervalS),
            }),
          ),
        ),
      );
    });
  const start = () => guarded(async () => void store.applyNow([{ type: 'patrol', data: await api.post('/api/patrols/start', { ringIds: ringIds() }) }]));
  const stop = () => guarded(async () => void store.applyNow([{ type: 'patrol', data: await api.post('/api/patrols/stop', { ringIds: ringIds() }) }]));
  const dispatch = () =>
    ctx.pick(t('dispatch.picking'), (p) =>
      void guarded(async () => {
        const a = await api.post<Alarm>('/api/dispatch', { latDeg: p.latDeg, lonDeg: p.lonDeg, ...(note.value ? { note: note.value } : {}), ...(warn.checked ? { playWarning: true } : {}) });
        store.applyNow([{ type: 'alarm', data: a }]);
        ctx.toast(t('dispatch.sent', { id: a.id }));
      }),
    );
  const alarmAction = (a: Alarm, verb: 'ack' | 'resolve') =>
    guarded(async () => void store.applyNow([{ type: 'alarm', data: await api.post<Alarm>(`/api/alarms/${encodeURIComponent(a.id)}/${verb}`) }]));

  const renderPatrol = () => {
    const running = activeRings(store.patrol);
    patrolState.textContent = running.length ? t('patrol.running', { rings: running.map((r) => ctx.site.rings.find((x) => x.id === r.ringId)?.name ?? r.ringId).join(', ') }) : t('patrol.idle');
    patrolState.dataset['running'] = running.map((r) => r.ringId).join(',');
  };
  const renderAlarms = () => {
    const open = [...store.alarms.values()].filter((a) => a.state !== 'resolved').sort((a, b) => b.raisedAtMs - a.raisedAtMs);
    if (open.length === 0) return fill(alarmsBox, h('li', { class: 'muted' }, t('alarms.none')));
    fill(
      alarmsBox,
      ...open.slice(0, 50).map((a) => {
        const resp = a.responder;
        const rec = resp?.commandIds.map((id) => store.ledger.get(id)).find(Boolean);
        return h(
          'li',
          { 'data-testid': 'alarm-item', 'data-state': a.state, class: `sev-${a.severity}` },
          h('b', {}, a.source.kind === 'sensor' ? `${a.source.type} @ ${a.source.checkpointId}` : `manual (${a.source.username})`),
          ` · ${a.ringId} · ${t(`alarm.${a.state}` as MessageKey)} · ${fmtTime(a.raisedAtMs)}`,
          resp ? h('div', {}, t('alarm.responder', { drone: resp.droneId, state: rec ? t(`ledger.${rec.state}` as MessageKey) : '…' }), resp.timeToSceneS !== undefined ? ` · ${resp.timeToSceneS.toFixed(0)} s / ${resp.targetS} s` : '') : null,
          h('button', { disabled: !mayAlarm || a.state !== 'open', 'data-testid': 'alarm-ack', onclick: () => void alarmAction(a, 'ack') }, t('alarm.ack')),
          h('button', { disabled: !mayAlarm, 'data-testid': 'alarm-resolve', onclick: () => void alarmAction(a, 'resolve') }, t('alarm.resolve')),
        );
      }),
    );
  };
  const unsubscribe = store.subscribe((changed) => {
    if (changed.has('alarms') || changed.has('ledger')) renderAlarms();
    if (changed.has('patrol')) renderPatrol();
  });
  renderPatrol();
  renderAlarms();

  const el = h(
    'section',
    { class: 'panel' },
    h('h3', {}, t('layer.patrol')),
    h('div', { class: 'rings' }, ...ringChecks.map((c, i) => h('label', {}, c, ctx.site.rings[i]!.name))),
    h('button', { disabled: !mayPatrol, 'data-testid': 'patrol-preview', onclick: () => void preview() }, t('patrol.preview')),
    h('button', { disabled: !mayPatrol, 'data-testid': 'patrol-start', onclick: () => void start() }, t('patrol.start')),
    h('button', { disabled: !mayPatrol, 'data-testid': 'patrol-stop', onclick: () => void stop() }, t('patrol.stop')),
    patrolState,
    planBox,
    h('h3', {}, t('dispatch.pick')),
    note,
    h('label', {}, warn, t('dispatch.warn')),
    h('button', { disabled: !mayDispatch, 'data-testid': 'dispatch-pick', onclick: dispatch }, t('dispatch.pick')),
    h('h3', {}, t('alarms.title')),
    alarmsBox,
  );
  return { el, dispose: unsubscribe };
}

/** One ring's patrol as `GET /api/patrols` and the `patrol` live event give it. */
export interface RingPatrolView {
  ringId: string;
  active: boolean;
  plan?: { loop?: { latDeg: number; lonDeg: number }[] };
  sorties?: { droneId: string; status: string }[];
}

export function activeRings(patrol: unknown): RingPatrolView[] {
  return Array.isArray(patrol) ? (patrol as RingPatrolView[]).filter((r) => r && r.active) : [];
}

import { actionButton, postConfirming } from './actions.ts';
import { alarmQueue } from './alarm-queue.ts';
import type { Ctx } from './context.ts';
import { can } from './context.ts';
import { h } from './dom.ts';
import { ringName } from './names.ts';
import L from 'leaflet';
import { renderPlanPreview } from './plan-preview.ts';
import type { RingPlan } from '../../control/planning/types.ts';
import type { Alarm } from './types.ts';


/** Patrols (preview, start, stop), dispatch to a clicked point, and the alarm queue. */
export function opsPanel(ctx: Ctx): { el: HTMLElement; dispose(): void } {
  const { t, store, api } = ctx;
  const mayPatrol = can(ctx.user, 'patrol.manage');
  const mayDispatch = can(ctx.user, 'dispatch');
  const ringChecks = ctx.site.rings.map((r) => h('input', { type: 'checkbox', value: r.id, checked: true, 'data-testid': `patrol-ring-${r.id}` }));
  const ringIds = () => ringChecks.filter((c) => c.checked).map((c) => c.value);
  const planBox = h('div', { class: 'plan', 'data-testid': 'patrol-plan' });
  const patrolState = h('div', { class: 'muted', 'data-testid': 'patrol-state' });
  const note = h('input', { type: 'text', placeholder: t('dispatch.note'), 'data-testid': 'dispatch-note' });
  const warn = h('input', { type: 'checkbox', 'data-testid': 'dispatch-warn' });

  const planLayer = L.layerGroup().addTo(ctx.map);
  const preview = async () => {
    const plan = await api.post<{ rings: RingPlan[]; geojson?: unknown }>('/api/patrols/preview', {});
    ctx.setPreviewGeoJson(plan.geojson);
    renderPlanPreview(ctx, planBox, planLayer, plan.rings);
  };
  const start = async () => void store.applyNow([{ type: 'patrol', data: await api.post('/api/patrols/start', { ringIds: ringIds() }) }]);
  const stop = async () => void store.applyNow([{ type: 'patrol', data: await api.post('/api/patrols/stop', { ringIds: ringIds() }) }]);
  const ringList = (ids: string[]) => ids.map((id) => ringName(t, ctx.site, id)).join(ctx.lang === 'zh-CN' ? '、' : ', ');
  const dispatchBtn = actionButton(ctx, {
    testId: 'dispatch-pick',
    label: t('dispatch.pick'),
    disabled: !mayDispatch,
    // The button stays busy from the click until the dispatch request has answered.
    run: () =>
      new Promise<void>((resolve, reject) => {
        ctx.pick(t('dispatch.picking'), (p) =>
          void postConfirming<Alarm>(ctx, '/api/dispatch', { latDeg: p.latDeg, lonDeg: p.lonDeg, ...(note.value ? { note: note.value } : {}), ...(warn.checked ? { playWarning: true } : {}) }).then((a) => {
            if (a) {
              store.applyNow([{ type: 'alarm', data: a }]);
              ctx.toast(t('dispatch.sent', { id: a.id }));
            }
            resolve();
          }, reject),
          false,
          resolve,
        );
      }),
  });
  const queue = alarmQueue(ctx);

  const renderPatrol = () => {
    const running = activeRings(store.patrol);
    patrolState.textContent = running.length ? t('patrol.running', { rings: ringList(running.map((r) => r.ringId)) }) : t('patrol.idle');
    patrolState.dataset['running'] = running.map((r) => r.ringId).join(',');
  };
  const unsubscribe = store.subscribe((changed) => {
    if (changed.has('alarms') || changed.has('ledger')) queue.render();
    if (changed.has('patrol')) renderPatrol();
  });
  renderPatrol();

  const el = h(
    'section',
    { class: 'panel' },
    h('h3', {}, t('layer.patrol')),
    h('div', { class: 'rings' }, ...ringChecks.map((c, i) => h('label', {}, c, ringName(t, ctx.site, ctx.site.rings[i]!.id)))),
    actionButton(ctx, { testId: 'patrol-preview', label: t('patrol.preview'), disabled: !mayPatrol, run: preview }),
    actionButton(ctx, { testId: 'patrol-start', label: t('patrol.start'), disabled: !mayPatrol, run: start }),
    actionButton(ctx, { testId: 'patrol-stop', label: t('patrol.stop'), disabled: !mayPatrol, confirm: () => t('confirm.patrolStop', { rings: ringList(ringIds()) }), run: stop }),
    patrolState,
    planBox,
    h('h3', {}, t('dispatch.pick')),
    note,
    h('label', {}, warn, t('dispatch.warn')),
    dispatchBtn,
    h('h3', {}, t('alarms.title')),
    queue.el,
  );
  return { el, dispose: () => (unsubscribe(), planLayer.remove()) };
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

/**
 * The alarm queue: open and acknowledged alarms, most severe first and, within a
 * severity, the longest waiting first; each in words (type, checkpoint, ring, who
 * dispatched it and their note), its responder's live command state and time to scene,
 * a click to centre the map, and acknowledge / resolve with their guardrails.
 */
import { actionButton, postConfirming } from './actions.ts';
import type { Ctx } from './context.ts';
import { can, fmtTime } from './context.ts';
import { fill, h } from './dom.ts';
import type { MessageKey } from './i18n.ts';
import { alarmPlace, alarmType, alarmTypeName, droneName, noResponderWords, ringName, SEVERITY_RANK, severityName } from './names.ts';
import { outcomePhrase, outcomeView } from './outcome-view.ts';
import { vehicleAlarmWords } from './alarm-text.ts';
import type { Alarm, LedgerRecord } from './types.ts';

/** Queue order: severity (critical first), then age (oldest first). Pure. */
export function queueOrder(alarms: Iterable<Alarm>): Alarm[] {
  return [...alarms].filter((a) => a.state !== 'resolved').sort((a, b) => (SEVERITY_RANK[b.severity] ?? 0) - (SEVERITY_RANK[a.severity] ?? 0) || a.raisedAtMs - b.raisedAtMs);
}

type AlarmExtra = Alarm & { source: Alarm['source'] & { note?: string }; noResponderReason?: string; responder?: Alarm['responder'] & { etaS?: number } };

export function alarmQueue(ctx: Ctx): { el: HTMLElement; render(): void } {
  const { store, api } = ctx;
  const mayAlarm = can(ctx.user, 'alarm.manage');
  const mayDispatch = can(ctx.user, 'dispatch');
  const el = h('ul', { class: 'alarms', 'data-testid': 'alarm-list' });
  // Ledger records a responder was sent with before this console opened are not on the
  // live stream: fetch its newest command (the last id; what the drone is doing now), so
  // everyone sees the responder's state, not "…". One request per alarm, not one per
  // command (a proxy in front may cap connections); a failed fetch is tried again on the
  // next render.
  const asked = new Set<string>();
  const fetchNewest = (ids: string[]) => {
    const id = ids[ids.length - 1];
    if (!id || store.ledger.has(id) || asked.has(id)) return;
    asked.add(id);
    void api
      .get<LedgerRecord>(`/api/ledger/${encodeURIComponent(id)}`)
      .then((rec) => store.applyNow([{ type: 'ledger', data: rec }]))
      .catch(() => asked.delete(id));
  };
  // An alarm fetched right after dispatch may not list its commands yet (they are added as
  // they are issued): then the drone's own newest commands say what it is doing.
  const askedDrone = new Set<string>();
  const fetchDrone = (alarmId: string, droneId: string) => {
    const key = `${alarmId}/${droneId}`;
    if (askedDrone.has(key)) return;
    askedDrone.add(key);
    void api
      .get<LedgerRecord[]>(`/api/ledger?target=${encodeURIComponent(droneId)}`)
      .then((recs) => store.applyNow(recs.slice(0, 10).map((r) => ({ type: 'ledger', data: r }))))
      .catch(() => askedDrone.delete(key));
  };
  const centre = (a: Alarm) => {
    const q = ctx.toMap(a.position);
    ctx.map.setView([q.latDeg, q.lonDeg], Math.max(ctx.map.getZoom(), 16));
  };
  const post = (a: Alarm, verb: 'ack' | 'resolve') => async () => void store.applyNow([{ type: 'alarm', data: await api.post<Alarm>(`/api/alarms/${encodeURIComponent(a.id)}/${verb}`) }]);

  function responderLine(a: AlarmExtra): HTMLElement | null {
    const { t, site } = ctx;
    const resp = a.responder;
    if (!resp) {
      if (!a.noResponderReason) return null;
      // Our words from the server's code; its English sentence (the per-drone detail) beneath.
      const words = noResponderWords(t, site, a);
      return h(
        'div',
        { class: 'bad', 'data-testid': 'alarm-no-responder' },
        t('alarm.noResponder', { reason: words ?? a.noResponderReason }),
        words ? h('div', { class: 'muted', 'data-testid': 'alarm-no-responder-detail', 'data-evidence': 'service' }, t('alarm.serviceSays', { text: a.noResponderReason })) : null,
      );
    }
    fetchNewest(resp.commandIds);
    // The newest command of the responder is what it is doing now (go-to, then loiter…).
    let recs = resp.commandIds.map((id) => store.ledger.get(id)).filter((r): r is LedgerRecord => !!r);
    if (recs.length === 0) {
      fetchDrone(a.id, resp.droneId);
      recs = store.ledgerFor(resp.droneId, 1);
    }
    const rec = recs.sort((x, y) => y.createdMs - x.createdMs)[0];
    // The outcome in words, with the way left while it flies; "achieved" only once the server's record says so.
    const v = rec ? outcomeView(rec) : undefined;
    const state = v ? outcomePhrase(v, { phase: (p) => t(`outcome.${p}` as MessageKey), way: (way) => t('outcome.way', { way }) }) : '…';
    const timing =
      resp.timeToSceneS !== undefined
        ? t('alarm.onScene', { seconds: resp.timeToSceneS.toFixed(0), target: resp.targetS })
        : resp.etaS !== undefined
          ? t('alarm.eta', { seconds: resp.etaS.toFixed(0), target: resp.targetS })
          : '';
    return h(
      'div',
      { 'data-testid': 'alarm-responder', 'data-state': rec?.state ?? 'unknown', 'data-outcome': v?.phase ?? 'unknown' },
      t('alarm.responder', { drone: droneName(site, resp.droneId), state }),
      timing ? h('span', { class: resp.withinTarget === false ? 'bad' : '' }, ` · ${timing}`) : null,
    );
  }

  /**
   * A drone's own alarm in the console's language; the autopilot's own words (evidence of
   * what the vehicle said) stay beneath as they came, marked so as not to be taken for ours.
   */
  function vehicleDetail(a: AlarmExtra): HTMLElement | null {
    const { t, site } = ctx;
    if (a.source.kind !== 'vehicle' || !a.source.text) return null;
    const words = vehicleAlarmWords(t, a.source.type, a.source.text, (ringId) => ringName(t, site, ringId));
    return h(
      'div',
      { class: 'note' },
      h('div', { 'data-testid': 'alarm-detail' }, words.line),
      words.evidence
        ? h('div', { class: 'muted', 'data-testid': 'alarm-autopilot', 'data-evidence': words.evidence.who }, t(words.evidence.who === 'autopilot' ? 'alarm.says' : 'alarm.serviceSays', { text: words.evidence.text }))
        : null,
    );
  }

  /** The drone chosen in each alarm's reassign list, by alarm id. */
  const picks = new Map<string, string>();

  // Reassign: to a chosen drone, or the best other one the server finds.
  function reassignControls(a: AlarmExtra): HTMLElement | null {
    const { t, site } = ctx;
    if (a.source.kind === 'vehicle') return null; // it dispatches nothing
    // The queue is rebuilt on every ledger change (responders report progress each second):
    // the operator's choice must survive that, or the confirmation names another drone.
    const chosen = picks.get(a.id);
    const pick = h(
      'select',
      { 'data-testid': 'alarm-reassign-drone', disabled: !mayDispatch, onchange: (e) => picks.set(a.id, (e.target as HTMLSelectElement).value) },
      h('option', { value: '' }, t('alarm.reassignBest')),
      ...site.drones.filter((d) => d.id !== a.responder?.droneId).map((d) => h('option', { value: d.id, selected: d.id === chosen }, d.name)),
    );
    const btn = actionButton(ctx, {
      testId: 'alarm-reassign',
      label: t('alarm.reassign'),
      disabled: !mayDispatch,
      confirm: () => t('confirm.reassign', { drone: pick.value ? droneName(site, pick.value) : t('alarm.reassignBest') }),
      run: async () => {
        const r = await postConfirming<Alarm>(ctx, `/api/alarms/${encodeURIComponent(a.id)}/reassign`, pick.value ? { droneId: pick.value } : {});
        picks.delete(a.id);
        if (r) store.applyNow([{ type: 'alarm', data: r }]);
      },
    });
    return h('span', { class: 'reassign' }, pick, btn);
  }

  function render(): void {
    const { t, site } = ctx;
    const open = queueOrder(store.alarms.values()) as AlarmExtra[];
    if (open.length === 0) return fill(el, h('li', { class: 'muted' }, t('alarms.none')));
    fill(
      el,
      ...open.slice(0, 50).map((a) => {
        const type = alarmTypeName(t, alarmType(a));
        const who = a.source.kind !== 'sensor' ? a.source.kind === 'manual' ? `${alarmPlace(site, a, t)} · ${t('alarm.by', { user: a.source.username })}` : alarmPlace(site, a, t) : t('alarm.at', { place: alarmPlace(site, a, t) });
        return h(
          'li',
          { 'data-testid': 'alarm-item', 'data-id': a.id, 'data-state': a.state, 'data-severity': a.severity, class: `sev-${a.severity}`, title: (a.source as { text?: string }).text },
          h('a', { href: '#', class: 'alarm-title', 'data-testid': 'alarm-centre', title: t('alarm.center'), onclick: (e) => (e.preventDefault(), centre(a)) }, h('span', { class: `sev-tag ${a.severity}` }, severityName(t, a.severity)), ' ', h('b', {}, type)),
          ` · ${who} · ${ringName(t, site, a.ringId)} · ${t(`alarm.${a.state}` as MessageKey)} · ${fmtTime(a.raisedAtMs)}`,
          a.source.kind === 'manual' && a.source.note ? h('div', { class: 'note', 'data-testid': 'alarm-note' }, t('alarm.note', { note: a.source.note })) : null,
          vehicleDetail(a),
          responderLine(a),
          h(
            'div',
            {},
            actionButton(ctx, { testId: 'alarm-ack', label: t('alarm.ack'), disabled: !mayAlarm || a.state !== 'open', run: post(a, 'ack') }),
            actionButton(ctx, { testId: 'alarm-resolve', label: t('alarm.resolve'), disabled: !mayAlarm, confirm: () => t('confirm.resolve', { what: `${type}, ${alarmPlace(site, a, t)}` }), run: post(a, 'resolve') }),
            reassignControls(a),
          ),
        );
      }),
    );
  }
  render();
  return { el, render };
}

/**
 * The engineer's console (issue 16 item 8): every device's health (drones' MAVLink links
 * with quality, heartbeat age, autopilot and refused frames; speakers and sensors by
 * presence, last heard and firmware; every device's messages the broker refused, by
 * reason), the services (the broker by control's own link to it and the status it
 * publishes), fault injection into the simulators, and site-file validation with its
 * errors by line. Nothing here flies or broadcasts.
 */
import type { Ctx } from './context.ts';
import { can, describeError } from './context.ts';
import { actionButton } from './actions.ts';
import { fill, h } from './dom.ts';
import { EN, type MessageKey } from './i18n.ts';
import { droneName } from './names.ts';
import { ageWords, brokerLine, rejectReasonName, type BrokerView } from './broker-health.ts';

const has = (key: string): key is MessageKey => key in EN;

/** How often the health table asks again; the live stream carries presence changes between. */
export const HEALTH_REFRESH_MS = 2000;

export interface DroneLinkHealth {
  droneId: string;
  online: boolean;
  linkQualityPct?: number;
  lastHeartbeatAgeMs?: number;
  autopilot?: string;
  rejected?: Record<string, number>;
}
export interface DevicePresence {
  id: string;
  kind: string;
  state: 'online' | 'offline' | 'unknown';
  lastSeenMs?: number;
  firmware?: string;
  reason?: string;
}
interface ServiceHealth {
  service: string;
  status: string;
  reasons: readonly string[];
  tsMs: number;
}
interface ValidateAnswer {
  ok: boolean;
  issues: { message: string; path?: string; line?: number }[];
  summary?: Record<string, unknown>;
}

export function engineerPanel(ctx: Ctx, services: () => ReadonlyMap<string, ServiceHealth>, onServices: (fn: () => void) => () => void): { el: HTMLElement; dispose(): void } {
  const { t, api } = ctx;
  const healthBox = h('div', { 'data-testid': 'eng-health' });
  const servicesBox = h('ul', { class: 'services', 'data-testid': 'eng-services' });
  // Presence is stamped on the operations clock, which a simulation may run ahead of the
  // wall clock: an age below zero is "just now", not a negative number.
  const age = (ms: number | undefined) => ageWords(t, ms);

  /**
   * A device's row and its refused messages: the MAVLink frames control's link refused
   * (drones) and the MQTT messages the broker refused (any device), the count in the row
   * and, when there are any, the reasons in words on a line of their own beneath it (the
   * reasons are what the engineer acts on; the column is too narrow for them).
   */
  const deviceRow = (d: { id: string; kind: string; online: boolean }, cells: HTMLElement[], ...sources: (Partial<Record<string, number>> | undefined)[]) => {
    const byReason = new Map<string, number>();
    for (const src of sources) for (const [k, n] of Object.entries(src ?? {})) if (n) byReason.set(k, (byReason.get(k) ?? 0) + n);
    const total = [...byReason.values()].reduce((a, b) => a + b, 0);
    const why = [...byReason].map(([k, n]) => `${rejectReasonName(t, k)} ${n}`).join(t('eng.listSep'));
    const row = h(
      'tr',
      { 'data-testid': 'eng-row', 'data-device': d.id, 'data-kind': d.kind, 'data-online': String(d.online) },
      ...cells,
      h('td', { class: total ? 'bad' : '', title: why, 'data-testid': 'eng-rejected', 'data-total': total }, String(total)),
    );
    if (!why) return [row];
    return [row, h('tr', { class: 'why', 'data-kind': d.kind }, h('td', { colspan: 6, class: 'bad', 'data-testid': 'eng-rejected-why', 'data-device': d.id }, t('eng.rejectedWhy', { why })))];
  };

  const renderHealth = (links: DroneLinkHealth[] | undefined, devices: DevicePresence[], broker: BrokerView | undefined) => {
    const brokerRejects = (id: string) => broker?.status?.devices[id];
    const droneRows = ctx.site.drones.map((d) => {
      const l = links?.find((x) => x.droneId === d.id);
      const st = ctx.store.drones.get(d.id);
      const online = l ? l.online : st?.link === 'ok';
      return deviceRow(
        { id: d.id, kind: 'drone', online },
        [
          h('td', {}, droneName(ctx.site, d.id)),
          h('td', { class: online ? 'ok' : 'bad' }, online ? t('eng.online') : t('eng.offline')),
          h('td', { 'data-testid': 'eng-quality' }, l?.linkQualityPct !== undefined ? `${Math.round(l.linkQualityPct)}%` : '—'),
          h('td', {}, age(l?.lastHeartbeatAgeMs)),
          h('td', { class: 'fw' }, l?.autopilot ?? String((d as { autopilot?: string }).autopilot ?? '—')),
        ],
        l?.rejected,
        brokerRejects(d.id),
      );
    });
    const now = Date.now();
    const deviceRows = devices
      .filter((d) => d.kind !== 'drone')
      .sort((a, b) => a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id))
      .map((d) =>
        deviceRow(
          { id: d.id, kind: d.kind, online: d.state === 'online' },
          [
            h('td', { title: d.id }, d.id),
            h(
              'td',
              { class: d.state === 'online' ? 'ok' : d.state === 'offline' ? 'bad' : '' },
              t(`eng.${d.state}` as MessageKey),
              // The device's own reason (its will says connection_lost): a known one in words,
              // anything else as the device sent it (its words, evidence).
              d.reason ? h('span', { class: 'muted', 'data-testid': 'eng-presence-reason', ...(has(`presence.${d.reason}`) ? {} : { 'data-evidence': 'device' }) }, ` (${has(`presence.${d.reason}`) ? t(`presence.${d.reason}` as MessageKey) : d.reason})`) : null,
            ),
            h('td', {}, '—'),
            h('td', {}, age(d.lastSeenMs === undefined ? undefined : now - d.lastSeenMs)),
            h('td', { class: 'fw', title: d.firmware ?? '' }, d.firmware ?? '—'),
          ],
          brokerRejects(d.id),
        ),
      );
    const group = (kind: string) => h('tr', { class: 'group' }, h('th', { colspan: 6 }, t(`eng.kind.${kind}` as MessageKey)));
    fill(
      healthBox,
      h(
        'table',
        { class: 'eng-table' },
        h('thead', {}, h('tr', {}, ...(['eng.col.device', 'eng.col.state', 'eng.col.quality', 'eng.col.lastHeard', 'eng.col.firmware', 'eng.col.rejected'] as MessageKey[]).map((k) => h('th', {}, t(k))))),
        h('tbody', {}, group('drone'), ...droneRows.flat(), group('speaker'), ...deviceRows.flat().filter((r) => r.dataset['kind'] === 'speaker'), group('sensor'), ...deviceRows.flat().filter((r) => r.dataset['kind'] === 'sensor')),
      ),
    );
  };

  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const refresh = async () => {
    const [links, devices, broker] = await Promise.all([
      api.optional<{ drones: DroneLinkHealth[] }>('/api/devices/links').catch(() => undefined),
      api.optional<DevicePresence[]>('/api/devices').catch(() => undefined),
      api.optional<BrokerView>('/api/devices/broker').catch(() => undefined),
    ]);
    if (stopped) return;
    renderHealth(links?.drones, devices ?? [], broker);
    renderServices(devices, broker);
    timer = setTimeout(() => void refresh(), HEALTH_REFRESH_MS);
  };

  // Services: the control API by its live stream; the broker by control's own link to it
  // and the status the broker publishes of itself; InfluxDB and the spool by their health events.
  let lastDevices: DevicePresence[] | undefined;
  let lastBroker: BrokerView | undefined;
  const renderServices = (devices = lastDevices, broker = lastBroker) => {
    lastDevices = devices;
    lastBroker = broker;
    const item = (name: string, status: string, reasons: readonly string[], line?: string) =>
      h(
        'li',
        { 'data-testid': 'eng-service', 'data-service': name, 'data-status': status },
        h('b', {}, name),
        ' ',
        h('span', { class: status === 'ok' ? 'ok' : status === 'unknown' ? '' : 'bad' }, t(`eng.status.${status}` as MessageKey)),
        line ? h('span', { 'data-testid': 'eng-service-line' }, ` · ${line}`) : null,
        reasons.length ? h('div', { class: 'muted' }, reasons.join(t('eng.listSep'))) : null,
      );
    // Without the control API there is no word from the broker either.
    const b = devices === undefined ? { status: 'unknown', text: undefined, reasons: [] } : brokerLine(t, broker);
    const brokerItem = item(t('eng.svc.broker'), b.status, b.reasons, b.text);
    brokerItem.dataset['broker'] = 'true';
    fill(servicesBox, item(t('eng.svc.control'), devices ? 'ok' : 'down', []), brokerItem, ...[...services().values()].map((s) => item(s.service, s.status, s.reasons)));
  };
  const offServices = onServices(() => renderServices());

  // Fault injection, in the simulators' own vocabulary (the API publishes it as the route's body schema).
  const faultDevice = h('select', { 'data-testid': 'eng-fault-device' }, ...ctx.site.drones.map((d) => h('option', { value: d.id }, droneName(ctx.site, d.id))), ...ctx.site.speakers.map((s) => h('option', { value: s.id }, s.id)), ...ctx.site.checkpoints.flatMap((c) => c.sensors.map((s) => h('option', { value: s.id }, s.id))));
  const faultKind = h('select', { 'data-testid': 'eng-fault-kind' });
  const faultDuration = h('input', { type: 'number', min: 1, max: 86_400, value: 30, class: 'num', 'data-testid': 'eng-fault-duration' });
  const faultPct = h('input', { type: 'number', min: 0, max: 100, value: 50, class: 'num', 'data-testid': 'eng-fault-pct' });
  const faultResult = h('div', { class: 'muted', 'data-testid': 'eng-fault-result' });
  // Sensor events, likewise in the simulators' vocabulary.
  const eventSensor = h('select', { 'data-testid': 'eng-event-sensor' }, ...ctx.site.checkpoints.flatMap((c) => c.sensors.map((s) => h('option', { value: s.id }, `${s.id} (${s.type})`))));
  const eventType = h('select', { 'data-testid': 'eng-event-type' });
  const eventResult = h('div', { class: 'muted', 'data-testid': 'eng-event-result' });
  type Doc = { paths?: Record<string, { post?: { requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, { anyOf?: { const?: string; enum?: string[] }[] }> } }> } } }> };
  const literals = (doc: Doc | undefined, path: string, field: string) =>
    (doc?.paths?.[path]?.post?.requestBody?.content?.['application/json']?.schema?.properties?.[field]?.anyOf ?? []).flatMap((k) => k.const ?? k.enum ?? []);
  void api
    .optional<Doc>('/api/openapi.json')
    .then((doc) => {
      fill(faultKind, ...literals(doc, '/api/sim/faults', 'kind').map((k) => h('option', { value: k }, k)));
      fill(eventType, ...literals(doc, '/api/sim/events', 'type').map((k) => h('option', { value: k }, k)));
    })
    .catch(() => undefined);
  const triggerEvent = async () => {
    try {
      await api.post('/api/sim/events', { sensor: eventSensor.value, type: eventType.value });
      eventResult.textContent = t('eng.event.done', { type: eventType.value, device: eventSensor.value });
      eventResult.dataset['ok'] = 'true';
    } catch (err) {
      eventResult.textContent = describeError(t, err);
      eventResult.dataset['ok'] = 'false';
    }
  };
  const mayFault = can(ctx.user, 'sim.manage');
  const injectFault = async () => {
    const kind = faultKind.value;
    const body: Record<string, unknown> = { device: faultDevice.value, kind };
    // A duration for any fault that can clear by itself; the share or delay for the kinds
    // that take one (the simulator names a missing parameter: simulators/fleet/faults.ts).
    if (!['battery_sag', 'mission_reject'].includes(kind)) body['durationS'] = Number(faultDuration.value);
    if (['packet_loss', 'ack_drop', 'battery_sag'].includes(kind)) body['pct'] = Number(faultPct.value);
    if (kind === 'ack_delay') body['delayMs'] = Number(faultPct.value) * 100;
    try {
      await api.post('/api/sim/faults', body);
      faultResult.textContent = t('eng.fault.done', { kind, device: faultDevice.value });
      faultResult.dataset['ok'] = 'true';
    } catch (err) {
      faultResult.textContent = describeError(t, err);
      faultResult.dataset['ok'] = 'false';
    }
  };

  // Site-file validation by upload: nothing is applied, the answer lists issues by line.
  const file = h('input', { type: 'file', accept: '.yaml,.yml,text/yaml', 'data-testid': 'eng-site-file' });
  const validation = h('div', { 'data-testid': 'eng-validation' });
  const mayConfig = can(ctx.user, 'config.manage');
  const validate = async () => {
    const f = file.files?.[0];
    if (!f) return void (validation.textContent = t('eng.chooseFile'));
    const res = await api.post<ValidateAnswer>('/api/config/validate', { yaml: await f.text() });
    validation.dataset['ok'] = String(res.ok);
    fill(
      validation,
      h('div', { class: res.ok ? 'ok' : 'bad', 'data-testid': 'eng-validation-verdict' }, res.ok ? t('eng.valid', { file: f.name }) : t('eng.invalid', { file: f.name, n: res.issues.length })),
      res.issues.length
        ? h('ol', { class: 'issues' }, ...res.issues.map((i) => h('li', { 'data-testid': 'eng-issue', 'data-line': i.line ?? '' }, i.line !== undefined ? h('b', {}, t('eng.line', { n: i.line }), ' ') : null, i.path ? h('code', {}, i.path) : null, ' ', i.message)))
        : null,
    );
  };

  void refresh();
  const el = h(
    'section',
    { class: 'panel engineer' },
    h('h3', {}, t('eng.health')),
    healthBox,
    h('h3', {}, t('eng.services')),
    servicesBox,
    h('h3', {}, t('eng.faults')),
    h('div', { class: 'eng-form' }, faultDevice, faultKind, h('label', {}, t('eng.fault.duration'), ' ', faultDuration), h('label', {}, t('eng.fault.pct'), ' ', faultPct), actionButton(ctx, { testId: 'eng-fault-inject', label: t('eng.fault.inject'), disabled: !mayFault, confirm: () => t('confirm.fault', { kind: faultKind.value, device: faultDevice.value }), run: injectFault })),
    faultResult,
    h('h3', {}, t('eng.events')),
    h('div', { class: 'eng-form' }, eventSensor, eventType, actionButton(ctx, { testId: 'eng-event-trigger', label: t('eng.event.trigger'), disabled: !mayFault, confirm: () => t('confirm.event', { type: eventType.value, device: eventSensor.value }), run: triggerEvent })),
    eventResult,
    h('h3', {}, t('eng.site')),
    h('div', { class: 'eng-form' }, file, actionButton(ctx, { testId: 'eng-validate', label: t('eng.validate'), disabled: !mayConfig, run: validate })),
    validation,
  );
  return { el, dispose: () => ((stopped = true), timer && clearTimeout(timer), offServices()) };
}

import { Histogram, Registry } from 'prom-client';
import { REJECT_REASONS } from '../../mavlink/link.ts';
import type { LagSource } from '../../util/event-loop-lag.ts';
import { scrapedMetric, type ReportValue } from '../../util/scraped-metric.ts';
import { threadLagMetrics } from '../../util/thread-lag-metrics.ts';
import type { Alarm } from '../alarms/alarm.ts';
import { DELIVERY_STATES, type DeliverySnapshot } from '../broadcast/delivery.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { LEDGER_STATES, TERMINAL_STATES, type LedgerRecord, type LedgerTransition } from '../ledger/machine.ts';
import type { BusCounters } from '../mqtt/bus.ts';
import type { ControlService } from '../service.ts';
import { controlHealth, type ControlHealth } from './health.ts';

/** What control's metrics and health read; all optional parts are absent in `ringwatch control` without an API. */
export interface ControlObservables {
  control: Pick<ControlService, 'vehicles' | 'links' | 'ledger' | 'devices' | 'gateway' | 'stats'> & Partial<Pick<ControlService, 'inbound' | 'linkThreadStats'>>;
  /** The broker link (absent: control runs without MQTT). */
  bus?: { readonly connected?: boolean; readonly counters?: BusCounters };
  /** Operations (alarms, broadcasts), when the API runs. */
  ops?: OpsObservables;
  /** Wall clock (the ledger's). */
  wallMs?: () => number;
  /**
   * Where the per-thread event-loop families live when several parts share one /metrics
   * (ringwatch up's, with main, broker and fleet): the link thread registers there as
   * `thread="links"`. Absent: control's own registry serves the families for its link thread.
   */
  threadLag?: ThreadLagRegistrar;
}

/** A per-thread lag registry (ringwatch up's satisfies it): a name and a source of that thread's figures. */
export interface ThreadLagRegistrar {
  register(thread: string, source: LagSource): () => void;
}

/**
 * What the metrics read of operations, stated here rather than imported: operations sit
 * above this module (tests/architecture.test.ts), and `Operations` satisfies it as is.
 */
export interface OpsObservables {
  alarms: { list(state: 'open' | 'all'): Alarm[] };
  broadcasts?: { list(): { report: { snapshot(): DeliverySnapshot } }[]; readonly playRetries: number } | undefined;
  /** Operations time (simulated under `--speed`); absent: wall time. */
  time?: { nowMs(): number; readonly speed: number };
}

/** Seconds: a response target is 60/180/300 s; the buckets straddle them. */
const ALARM_BUCKETS_S = [1, 2, 5, 10, 20, 30, 45, 60, 90, 120, 180, 240, 300, 450, 600];

/**
 * Counts ledger transitions as they happen (the ledger trims finished records from
 * memory, so a scrape could not count them afterwards) and keeps the open ones.
 */
export class LedgerMeter {
  readonly transitions = new Map<string, number>();
  private readonly open = new Map<string, LedgerRecord['via']>();
  private readonly onChange = (rec: LedgerRecord, change: LedgerTransition) => {
    const key = `${rec.via}\u0000${change.state}`;
    this.transitions.set(key, (this.transitions.get(key) ?? 0) + 1);
    if (TERMINAL_STATES.has(rec.state)) this.open.delete(rec.id);
    else this.open.set(rec.id, rec.via);
  };

  constructor(private readonly ledger: Ledger) {
    ledger.on('change', this.onChange);
  }

  openByVia(): Record<LedgerRecord['via'], number> {
    const out = { mavlink: 0, mqtt: 0 };
    for (const via of this.open.values()) out[via]++;
    return out;
  }

  close(): void {
    this.ledger.off('change', this.onChange);
  }
}

export interface ControlObservability {
  registry: Registry;
  health(): ControlHealth;
  close(): void;
}

/**
 * Control's `/metrics` (prom-client) and `/health`: per drone link up, quality, heartbeat
 * age and refused frames by reason; per MAVLink endpoint rx/tx and bad frames; ledger
 * transitions by state and open records; open alarms and the alarm timings as
 * histograms; broadcast deliveries by outcome and retries; the broker link.
 */
export function controlObservability(o: ControlObservables): ControlObservability {
  const reg = new Registry();
  const { control } = o;
  const wallMs = o.wallMs ?? Date.now;
  const meter = new LedgerMeter(control.ledger);

  const gauge = (name: string, help: string, labelNames: string[], fill: (set: ReportValue) => void) => scrapedMetric('gauge', reg, name, help, labelNames, fill);
  const counter = (name: string, help: string, labelNames: string[], fill: (inc: ReportValue) => void) => scrapedMetric('counter', reg, name, help, labelNames, fill);

  // Per drone.
  gauge('ringwatch_control_drone_link_up', 'MAVLink heartbeat within the link-lost timeout (1) or not (0)', ['drone'], (set) => {
    for (const v of control.vehicles.values()) set({ drone: v.droneId }, v.online ? 1 : 0);
  });
  gauge('ringwatch_control_drone_link_quality_pct', 'Share of MAVLink frames received, from sequence gaps (recent past)', ['drone'], (set) => {
    for (const v of control.vehicles.values()) {
      const q = v.linkMeter.qualityPct;
      if (q !== undefined) set({ drone: v.droneId }, q);
    }
  });
  gauge('ringwatch_control_drone_heartbeat_age_seconds', 'Seconds since the last heartbeat (absent: never heard)', ['drone'], (set) => {
    const now = wallMs();
    for (const v of control.vehicles.values()) if (v.lastHeartbeatMs !== undefined) set({ drone: v.droneId }, Math.max(0, now - v.lastHeartbeatMs) / 1000);
  });
  // Per drone on purpose: a counter costs one series per drone (1,000 at most per site,
  // fixed by the site file, never per address or per alarm), and "which drone keeps
  // dropping out" is the question an operator asks of it. Vehicle.linkLostCount only grows.
  counter('ringwatch_control_link_lost_total', 'Times a drone was declared lost (no MAVLink heartbeat for the link-lost timeout), by drone', ['drone'], (inc) => {
    for (const v of control.vehicles.values()) inc({ drone: v.droneId }, v.linkLostCount);
  });
  counter('ringwatch_control_drone_rejected_frames_total', 'MAVLink frames refused for claiming this drone, by reason (wrongPeer, wrongSystem, badSignature, replay, unsigned)', ['drone', 'reason'], (inc) => {
    for (const v of control.vehicles.values()) {
      const counts = control.links.get(v.endpointUrl)?.link.counters.rejectedBySystem.get(v.systemId);
      for (const r of REJECT_REASONS) inc({ drone: v.droneId, reason: r }, counts?.[r] ?? 0);
    }
  });

  // Per MAVLink endpoint (several drones may share one).
  const links = () => control.stats().links;
  counter('ringwatch_control_link_rx_packets_total', 'MAVLink frames received on the endpoint', ['link'], (inc) => links().forEach((l) => inc({ link: l.url }, l.rxPackets)));
  counter('ringwatch_control_link_tx_packets_total', 'MAVLink frames sent on the endpoint', ['link'], (inc) => links().forEach((l) => inc({ link: l.url }, l.txPackets)));
  counter('ringwatch_control_link_bad_frames_total', 'Frames with a bad CRC, header or payload, skipped', ['link'], (inc) => links().forEach((l) => inc({ link: l.url }, l.badFrames)));
  counter('ringwatch_control_link_unknown_system_frames_total', 'Frames from system ids the endpoint does not serve', ['link'], (inc) => links().forEach((l) => inc({ link: l.url }, l.unknownSystem)));
  counter('ringwatch_control_link_rejected_frames_total', 'Frames refused on the endpoint, by reason', ['link', 'reason'], (inc) =>
    links().forEach((l) => REJECT_REASONS.forEach((r) => inc({ link: l.url, reason: r }, l.rejected[r]))),
  );

  // Ledger.
  counter('ringwatch_control_ledger_transitions_total', 'Ledger records entering each state, by path (mavlink, mqtt)', ['via', 'state'], (inc) => {
    for (const via of ['mavlink', 'mqtt']) for (const s of LEDGER_STATES) inc({ via, state: s }, meter.transitions.get(`${via}\u0000${s}`) ?? 0);
  });
  gauge('ringwatch_control_ledger_open_records', 'Commands not yet settled (queued, sent, acked, in_progress)', ['via'], (set) => {
    for (const [via, n] of Object.entries(meter.openByVia())) set({ via }, n);
  });
  counter('ringwatch_control_ledger_refused_transitions_total', 'Moves the ledger refused (a late ack for a settled command)', [], (inc) => inc({}, control.stats().ledgerRefusedTransitions));

  // Broker link and device commands.
  if (o.bus) {
    const bus = o.bus;
    gauge('ringwatch_control_broker_connected', 'Control connected to the broker (1) or not (0)', [], (set) => set({}, bus.connected === false ? 0 : 1));
    const c = (name: string, help: string, key: keyof BusCounters) => counter(name, help, [], (inc) => inc({}, bus.counters?.[key] ?? 0));
    c('ringwatch_control_broker_reconnects_total', 'Times the broker link came back after a drop', 'reconnects');
    c('ringwatch_control_retained_republished_total', 'Retained messages (drone statuses) published again after a reconnect', 'retainedRepublished');
    c('ringwatch_control_mqtt_publish_errors_total', 'Publishes the MQTT client refused', 'publishErrors');
    c('ringwatch_control_telemetry_dropped_total', 'QoS 0 telemetry dropped while the broker link was down or backed up', 'droppedBackpressure');
  }
  const devices = control.devices;
  if (devices) {
    counter('ringwatch_control_device_commands_held_total', 'Device commands issued while the broker was away, held until it came back', [], (inc) => inc({}, devices.counters.held));
    counter('ringwatch_control_device_commands_expired_unsent_total', 'Held device commands that expired before the broker came back', [], (inc) => inc({}, devices.counters.expiredUnsent));
    counter('ringwatch_control_device_acks_dropped_total', 'Device acks that named no command of ours (malformed ones: ringwatch_control_mqtt_inbound_dropped_total)', [], (inc) => inc({}, devices.counters.acksDropped));
  }
  const inbound = control.inbound;
  if (inbound) {
    counter('ringwatch_control_mqtt_inbound_dropped_total', 'Device MQTT messages control dropped on the way in, by reason (oversize, not_json, schema, bad_topic, handler_error)', ['reason'], (inc) => {
      for (const [reason, n] of Object.entries(inbound.counters.dropped)) inc({ reason }, n);
    });
  }
  const unregisterThread = linkThreadMetrics(reg, control, o.threadLag);

  const gw = control.gateway;
  if (gw) counter('ringwatch_control_drone_status_published_total', 'Retained drone status messages published', [], (inc) => inc({}, gw.counters.statusPublished));

  // Alarms and broadcasts (operations).
  const ops = o.ops;
  if (ops) {
    gauge('ringwatch_control_alarms_open', 'Alarms not yet resolved, by severity', ['severity'], (set) => {
      const by: Record<string, number> = { info: 0, low: 0, medium: 0, high: 0, critical: 0 };
      for (const a of ops.alarms.list('open')) by[a.severity] = (by[a.severity] ?? 0) + 1;
      for (const [severity, n] of Object.entries(by)) set({ severity }, n);
    });
    alarmTimings(reg, control.ledger, ops, wallMs);
    const bc = ops.broadcasts;
    if (bc) {
      counter('ringwatch_control_broadcasts_total', 'Broadcasts issued since start', [], (inc) => inc({}, bc.list().length));
      gauge('ringwatch_control_broadcast_deliveries', 'Speaker deliveries of the broadcasts since start, by current outcome', ['state'], (set) => {
        const counts = Object.fromEntries(DELIVERY_STATES.map((s) => [s, 0])) as Record<string, number>;
        for (const b of bc.list()) for (const [s, n] of Object.entries(b.report.snapshot().counts)) counts[s] = (counts[s] ?? 0) + n;
        for (const [state, n] of Object.entries(counts)) set({ state }, n);
      });
      counter('ringwatch_control_broadcast_play_retries_total', 'Play commands sent again to a speaker that stayed silent, within the broadcast validity', [], (inc) => inc({}, bc.playRetries));
    }
  }

  const health = (): ControlHealth => {
    const now = wallMs();
    return controlHealth({
      drones: [...control.vehicles.values()].map((v) => ({ droneId: v.droneId, online: v.online, lastHeartbeatAgeMs: v.lastHeartbeatMs === undefined ? undefined : now - v.lastHeartbeatMs })),
      brokerConnected: o.bus ? o.bus.connected !== false : undefined,
      heldCommands: devices ? devices.counters.held - devices.counters.expiredUnsent : 0,
    });
  };
  return {
    registry: reg,
    health,
    close: () => {
      meter.close();
      unregisterThread();
    },
  };
}

/**
 * The MAVLink link thread's event-loop delay and utilisation (issue 15 asks for the lag of
 * the link side while the API is loaded), in the families every thread reports in
 * (util/thread-lag-metrics.ts) as `thread="links"`: in the shared registrar when given
 * one, else in control's own registry. Nothing when the links run on the main thread.
 */
function linkThreadMetrics(reg: Registry, control: ControlObservables['control'], shared: ThreadLagRegistrar | undefined): () => void {
  const stats = control.linkThreadStats;
  if (!stats || stats() === undefined) return () => {};
  scrapedMetric('counter', reg, 'ringwatch_control_link_thread_restarts_total', 'Times the MAVLink link thread crashed and was started again', [], (inc) => inc({}, stats()?.restarts ?? 0));
  scrapedMetric('counter', reg, 'ringwatch_control_link_thread_rx_dropped_bytes_total', 'Inbound MAVLink bytes the link thread dropped, oldest first, while the main thread took none (it keeps a bounded amount unacknowledged)', [], (inc) => inc({}, stats()?.rxDropped.bytes ?? 0));
  return (shared ?? threadLagMetrics(reg)).register('links', () => stats()?.lag);
}

/**
 * Alarm timings, observed once per alarm as its responder appears: raised → dispatched,
 * raised → first responder command in the ledger, dispatched → on scene. Alarm times are
 * operations time (simulated time under `--speed`); the ledger's are wall time and are
 * converted, so every figure is in the alarm's own seconds.
 */
function alarmTimings(reg: Registry, ledger: Ledger, ops: NonNullable<ControlObservables['ops']>, wallMs: () => number): void {
  const seen = { dispatch: new Set<string>(), firstCommand: new Set<string>(), scene: new Set<string>() };
  const toDispatch = new Histogram({
    name: 'ringwatch_control_alarm_to_dispatch_seconds',
    help: 'Alarm raised to a drone dispatched',
    buckets: ALARM_BUCKETS_S,
    registers: [reg],
    // One pass over the alarms per scrape fills all three; this one is collected first.
    collect() {
      const opsNow = ops.time?.nowMs() ?? wallMs();
      const speed = ops.time?.speed ?? 1;
      const wallNow = wallMs();
      for (const a of ops.alarms.list('all')) observe(a, opsNow, wallNow, speed);
    },
  });
  const toFirstCommand = new Histogram({ name: 'ringwatch_control_alarm_to_first_command_seconds', help: 'Alarm raised to the first command to its responder opened in the ledger', buckets: ALARM_BUCKETS_S, registers: [reg] });
  const toScene = new Histogram({ name: 'ringwatch_control_alarm_time_to_scene_seconds', help: 'Drone dispatched to on scene (from its own telemetry)', buckets: ALARM_BUCKETS_S, registers: [reg] });
  const observe = (a: Alarm, opsNow: number, wallNow: number, speed: number) => {
    const r = a.responder ?? a.previousResponders?.[0];
    if (!r) return;
    const first = a.previousResponders?.[0] ?? r;
    if (!seen.dispatch.has(a.id)) {
      seen.dispatch.add(a.id);
      toDispatch.observe(Math.max(0, first.dispatchedAtMs - a.raisedAtMs) / 1000);
    }
    const firstId = first.commandIds[0];
    const rec = firstId === undefined ? undefined : ledger.get(firstId);
    if (rec && !seen.firstCommand.has(a.id)) {
      seen.firstCommand.add(a.id);
      const openedOpsMs = opsNow - (wallNow - rec.transitions[0]!.tsMs) * speed;
      toFirstCommand.observe(Math.max(0, openedOpsMs - a.raisedAtMs) / 1000);
    }
    if (r.timeToSceneS !== undefined && !seen.scene.has(a.id)) {
      seen.scene.add(a.id);
      toScene.observe(r.timeToSceneS);
    }
  };
}

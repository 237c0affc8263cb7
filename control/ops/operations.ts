import type { Site } from '../../site/load.ts';
import type { DeviceKind, DroneTelemetry, SensorEvent, SpeakerTelemetry, StatusPayload } from '../../protocol/index.ts';
import type { LedgerRecord } from '../ledger/machine.ts';
import { AlarmBook, DEFAULT_ALARM_RULES, type AlarmRules } from '../alarms/alarm-book.ts';
import type { Alarm } from '../alarms/alarm.ts';
import type { EventHub } from '../live/event-hub.ts';
import type { WarningLibrary } from './warning-library.ts';
import { CoverageModel, type RingCoverage } from '../coverage/coverage.ts';
import { LocalFrame } from '../geo/local-frame.ts';
import type { PlanOptions } from '../planning/types.ts';
import type { ControlService } from '../service.ts';
import type { Bus } from '../mqtt/bus.ts';
import { ALARM_TOPIC } from '../../protocol/service-records.ts';
import { BroadcastService } from './broadcast-service.ts';
import { DispatchService } from './dispatch-service.ts';
import { FleetView } from './fleet-view.ts';
import { PatrolService } from './patrol-service.ts';
import { PresenceBook } from './device-presence.ts';
import type { OpsTime } from './sim-time.ts';
import { AchievedSpeed } from './achieved-speed.ts';
import { RecentEventIds } from '../gateway/events.ts';
import { EventIdFile } from '../gateway/event-id-file.ts';
import { AlarmFile } from './alarm-file.ts';
import { VehicleAlarms } from './vehicle-alarms.ts';
import { GuardedFlight } from './guarded-flight.ts';
import { DEFAULT_PLAN_OPTIONS } from '../planning/types.ts';

export interface OperationsOptions {
  site: Site;
  control: ControlService;
  /** The broker connection the control service uses (the control identity). */
  bus?: Bus;
  warnings: WarningLibrary;
  hub: EventHub;
  time: OpsTime;
  alarmRules?: Partial<AlarmRules>;
  planOptions?: Partial<PlanOptions>;
  /** How often live state is sampled for the map, time to scene and coverage (wall ms). */
  tickMs?: number;
  /** Where the sensor event ids already acted on are kept across restarts (none: memory only). */
  eventIdsFile?: string;
  /** Where alarms, their responders and history are kept across restarts (JSONL; none: memory only). */
  alarmsFile?: string;
  /** Where refused sensor events are logged (once per device). */
  log?: (line: string) => void;
}

export interface Operations {
  fleet: FleetView;
  presence: PresenceBook;
  alarms: AlarmBook;
  dispatch: DispatchService;
  patrols: PatrolService;
  /** No-fly checks, detours and the site fence for every flight (issue 14 item 1). */
  guard: GuardedFlight;
  vehicleAlarms: VehicleAlarms;
  broadcasts: BroadcastService | undefined;
  frame: LocalFrame;
  coverage(): RingCoverage[];
  /** Reports an alarm change made outside dispatch (an acknowledgement) to clients and the store. */
  alarmChanged(a: Alarm): void;
  close(): void;
}

/**
 * Part 2 of the control service, composed over part 1: fleet view, alarms and dispatch,
 * ring patrols, broadcasts and live coverage, all reporting to the live event hub.
 */
export async function startOperations(o: OperationsOptions): Promise<Operations> {
  const { site, control, hub, time } = o;
  const frame = new LocalFrame(site.core.shape.type === 'circle' ? site.core.shape.center : site.core.shape.points[0]!);
  const fleet = new FleetView(site, control.vehicles, time);
  const alarms = new AlarmBook(site, time, { ...DEFAULT_ALARM_RULES, ...o.alarmRules });
  const bus = o.bus;
  const broadcasts =
    bus && control.devices
      ? new BroadcastService({
          site,
          bus,
          devices: control.devices,
          ledger: control.ledger,
          warnings: o.warnings,
          clock: time,
          droneSpeakerPositions: () => fleet.droneSpeakerPositions(),
          onUpdate: (snap) => hub.publish({ type: 'broadcast', data: snap }),
        })
      : undefined;
  await broadcasts?.start();
  // Every change of an alarm goes to clients and, as a record, to the broker, where the
  // telemetry service stores it for history. Record times are wall-clock (the store's).
  const alarmSeq = new Map<string, number>();
  const alarmFile = o.alarmsFile ? new AlarmFile(o.alarmsFile) : undefined;
  const onAlarm = (a: Alarm) => {
    alarmFile?.write(a, time.nowMs());
    hub.publish({ type: 'alarm', data: a });
    if (!bus) return;
    const seq = alarmSeq.get(a.id) ?? 0;
    alarmSeq.set(a.id, seq + 1);
    bus.publish(ALARM_TOPIC, JSON.stringify({ ...a, tsMs: Date.now(), seq }), { qos: 1 });
  };
  const speeds = new AchievedSpeed();
  // What the drones report about themselves becomes alarms; the patrol and the coverage
  // follow at once rather than at the next periodic pass (both are made below; the
  // callbacks only run once the drones report).
  const vehicleAlarms = new VehicleAlarms({
    site,
    fleet,
    vehicles: control.vehicles,
    alarms,
    onAlarm,
    onRaised: (droneId, type, text) => {
      patrols.vehicleAlarm(droneId, type, text);
      recomputeCoverage();
    },
  });
  const patrols = new PatrolService({
    site,
    fleet,
    drones: control.drones,
    frame,
    time,
    vehicles: control.vehicles,
    speeds,
    ...(o.planOptions ? { planOptions: o.planOptions } : {}),
    onChange: (s) => hub.publish({ type: 'patrol', data: s }),
    onSortieAborted: (droneId, why) => vehicleAlarms.raise(droneId, 'mission_aborted', 'high', why),
  });
  // Sensor event ids already acted on, kept across restarts: a device resending an event
  // after both of us restarted must not dispatch a drone again.
  const eventIds = new RecentEventIds(() => time.nowMs());
  const eventIdFile = o.eventIdsFile ? new EventIdFile(o.eventIdsFile, eventIds) : undefined;
  eventIdFile?.load();
  const guard = new GuardedFlight({ site, frame, fleet, drones: control.drones, nfzMarginM: o.planOptions?.nfzMarginM ?? DEFAULT_PLAN_OPTIONS.nfzMarginM });
  const dispatch = new DispatchService({
    guard,
    ringShortfall: (droneId) => patrols.ringShortfall(droneId),
    onPatrolDroneTaken: (droneId, why) => void patrols.droneTaken(droneId, why),
    ...(o.log ? { log: o.log } : {}),
    eventIds: {
      firstSighting: (deviceId, eventId) => {
        const first = eventIds.firstSighting(deviceId, eventId);
        if (first) eventIdFile?.changed();
        return first;
      },
    },
    site,
    alarms,
    fleet,
    drones: control.drones,
    frame,
    time,
    speeds,
    patrolFlying: (droneId, ringId) => patrols.flyingPatrol(droneId, ringId),
    ...(bus ? { bus } : {}),
    ...(control.inbound ? { inbound: control.inbound } : {}),
    ...(broadcasts ? { broadcasts } : {}),
    onAlarm,
  });
  // Alarms of the last run, before any new event can raise a duplicate of one.
  if (alarmFile) dispatch.restore(alarmFile.load(time.nowMs()));
  await dispatch.start();
  const presence = new PresenceBook(site, time);
  const coverageModel = new CoverageModel(site);
  let lastCoverage: RingCoverage[] = coverageModel.evaluate(fleet.candidates(coverageModel.frame));
  const recomputeCoverage = () => {
    lastCoverage = coverageModel.evaluate(fleet.candidates(coverageModel.frame));
    hub.publish({ type: 'coverage', data: lastCoverage });
  };
  vehicleAlarms.start();

  // Ledger changes and link changes go to clients as they happen.
  const onLedger = (rec: LedgerRecord) => hub.publish({ type: 'ledger', data: rec });
  control.ledger.on('change', onLedger);
  const linkHandlers: (() => void)[] = [];
  for (const v of control.vehicles.values()) {
    const lost = () => hub.publish({ type: 'link', data: { droneId: v.droneId, state: 'lost' } });
    const ok = () => hub.publish({ type: 'link', data: { droneId: v.droneId, state: 'ok' } });
    v.on('link_lost', lost);
    v.on('link_regained', ok);
    v.on('online', ok);
    linkHandlers.push(() => {
      v.off('link_lost', lost);
      v.off('link_regained', ok);
      v.off('online', ok);
    });
  }
  // Device presence: our MAVLink drones' status from the gateway in-process (its broker
  // copy is skipped), every other device's from the broker. Checkpoint events and speaker
  // state from the broker too, through the control service's one inbound router
  // (subscribed once, validated once).
  const onStatus = (kind: DeviceKind, deviceId: string, s: StatusPayload) => {
    presence.status(deviceId, s);
    hub.publish({ type: 'status', data: { kind, deviceId, state: s.state } });
  };
  const offGatewayStatus = control.gateway?.onStatus((droneId, s) => onStatus('drone', droneId, s));
  const inbound = control.inbound;
  await inbound?.on<StatusPayload>('+', 'status', (m) => onStatus(m.kind, m.deviceId, m.value));
  await inbound?.on<SensorEvent>('sensor', 'event', (m) => hub.publish({ type: 'sensor_event', data: { deviceId: m.deviceId, ...m.value } }));
  // Drone telemetry reaches clients as it is produced rather than sampled here, which
  // would add up to a sampling period of delay between the drone and the map: our MAVLink
  // drones' from the gateway in-process, MQTT drones' own from the broker.
  const offGatewayTelemetry = control.gateway?.onTelemetry((droneId, t) => hub.publish({ type: 'telemetry', data: { droneId, ...t } }));
  await inbound?.on<DroneTelemetry>('drone', 'telemetry', (m) => hub.publish({ type: 'telemetry', data: { droneId: m.deviceId, ...m.value } }));
  await inbound?.on<SpeakerTelemetry>('speaker', 'telemetry', (m) => {
    presence.seen(m.deviceId);
    hub.publish({ type: 'speaker', data: { deviceId: m.deviceId, ...m.value } });
  });

  let ticks = 0;
  const tickMs = o.tickMs ?? 250;
  const timer = setInterval(() => {
    ticks++;
    for (const d of site.drones) {
      const t = fleet.telemetry(d.id);
      // Tasks follow what the drones report (landed ⇒ docked, RTL ⇒ returning...).
      fleet.task(d.id);
      if (t && !fleet.freshness(d.id)?.stale) dispatch.onPosition(d.id, t);
      // Without a broker there is no gateway stream to forward: sample for the map at 2 Hz.
      if (t && !bus && ticks % Math.max(1, Math.round(500 / tickMs)) === 0) hub.publish({ type: 'telemetry', data: { droneId: d.id, ...t } });
    }
    vehicleAlarms.observe();
    patrols.observe();
    if (ticks % Math.max(1, Math.round(2000 / tickMs)) === 0) recomputeCoverage();
  }, tickMs);
  timer.unref();

  return {
    fleet,
    presence,
    alarms,
    dispatch,
    patrols,
    guard,
    vehicleAlarms,
    broadcasts,
    frame,
    coverage: () => lastCoverage,
    alarmChanged: onAlarm,
    close() {
      eventIdFile?.flush();
      clearInterval(timer);
      control.ledger.off('change', onLedger);
      offGatewayTelemetry?.();
      offGatewayStatus?.();
      for (const off of linkHandlers) off();
      patrols.close();
      vehicleAlarms.close();
      broadcasts?.close();
    },
  };
}

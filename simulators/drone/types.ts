import type { Drone } from '../../site/schema.ts';

/** ArduPilot stream groups (MAV_DATA_STREAM), as REQUEST_DATA_STREAM names them. */
export type StreamGroup = 'extendedStatus' | 'position' | 'extra1' | 'extra2' | 'extra3';

/** Steady wind in the horizontal plane: blowing *towards* `towardDeg`, plus gusts. */
export interface WindOptions {
  speedMps: number;
  towardDeg: number;
  gustMps?: number;
}

/** Timeouts of the vehicle side of the mission protocol (ArduPilot's MissionItemProtocol). */
export interface MissionTransferTimeouts {
  /** Re-send MISSION_REQUEST(_INT) when the GCS has not answered for this long (ArduPilot: 1000 ms). */
  requestResendMs: number;
  /** Abandon an upload with MISSION_ACK OPERATION_CANCELLED after this silence (ArduPilot: 8000 ms). */
  uploadTimeoutMs: number;
}

export interface SimDroneOptions {
  /** The site's drone entry: id, mavlink.systemId, dock (= home), speeds, enduranceS. */
  drone: Drone;
  /** 0 = any free port; undefined = no UDP. The vehicle answers whichever ground station spoke to it. */
  udpPort?: number;
  /** 0 = any free port; undefined = no TCP server (like SITL's 5760; several clients allowed). */
  tcpPort?: number;
  /** The drone's 32-byte MAVLink 2 signing key (from the secrets file): the vehicle then signs and requires signing. */
  signingKey?: Buffer;
  /** Time acceleration, default 1. Every duration below is in simulated time. */
  speed?: number;
  /**
   * Which autopilot to imitate (default: the site entry's `autopilot`, else ArduPilot
   * Copter). See README: what each personality reproduces.
   */
  autopilot?: 'ardupilot' | 'px4';
  /**
   * Upload requests as MISSION_REQUEST_INT ('int') or the older MISSION_REQUEST
   * ('legacy'). Default: what the autopilot did on SITL (ArduCopter 'legacy', PX4 'int').
   */
  missionRequestStyle?: 'int' | 'legacy';
  /**
   * Seconds after boot until the vehicle can arm (ArduCopter SITL: 41, walking through
   * "System not initialised", "Accels inconsistent", "AHRS: waiting for home", "Need
   * Position Estimate"; PX4 SIH: 3). Tests wanting a vehicle ready at once pass 0.
   */
  prearmDelayS?: number;
  /**
   * Seconds the sensor and EKF boot stages last before only "Need Position Estimate" is
   * left (ArduCopter SITL: 21, compressed with a shorter `prearmDelayS`). 0 goes straight
   * to "Need Position Estimate", e.g. to model an EKF that never converges.
   */
  sensorChecksS?: number;
  /**
   * Seconds after boot until the GPS has its first fix; until then GPS_RAW_INT and
   * GLOBAL_POSITION_INT carry lat/lon 0 and fix type 0 (ArduCopter SITL: 6.5; PX4: 1.5).
   * Never later than `prearmDelayS`.
   */
  gpsFixDelayS?: number;
  /**
   * The default horizontal speed, m/s (ArduCopter WPNAV_SPEED 10; PX4 MPC_XY_CRUISE 5).
   * ArduCopter returns to it on every entry to GUIDED, AUTO and RTL.
   */
  wpSpeedMps?: number;
  /**
   * Battery endurance at the site's cruise speed, seconds, or 'site' for the site's
   * `enduranceS`. Default: ArduCopter SITL's default battery (100 % → 18 % in ~6.5 min
   * of patrol); PX4: the site's.
   */
  batteryEnduranceS?: number | 'site';
  /** Seed for GPS noise, gusts and packet loss (default: derived from the system id). */
  seed?: number;
  /** Stream rates active at boot. Copter's habit (default): none, only HEARTBEAT until requested. */
  initialStreamRatesHz?: Partial<Record<StreamGroup, number>>;
  /** 1-sigma GPS position noise in metres (default 0.6; 0 disables). */
  gpsNoiseM?: number;
  wind?: WindOptions;
  /** RTL altitude in metres (Copter RTL_ALT 15; PX4 RTL_RETURN_ALT 60). */
  rtlAltM?: number;
  /** BATT_LOW failsafe threshold in percent, action RTL (default 20). */
  lowBatteryPct?: number;
  /** BATT_CRT failsafe threshold in percent, action LAND (default 10). */
  criticalBatteryPct?: number;
  /** Battery charge at boot in percent (default 100). */
  initialBatteryPct?: number;
  /**
   * Charge per minute that the drone's dock adds while it sits on it disarmed (default 0:
   * SITL has no dock). A DJI Dock 2 takes a pack from 20 % to 90 % in about 32 minutes,
   * about 2.2 %/min.
   */
  dockChargePctPerMin?: number;
  /** Copter DISARM_DELAY: armed on the ground without taking off for this long disarms (default 10 s; 0 = never). */
  autoDisarmS?: number;
  missionTimeouts?: Partial<MissionTransferTimeouts>;
  /** Capacity of the mission store in items (ArduPilot on a 2 MB board: ~700; default 700). */
  maxMissionItems?: number;
}

/** Faults injected at runtime; durations are simulated seconds. */
export type DroneFault =
  /** No packet in either direction for `durationS`. */
  | { kind: 'link_loss'; durationS: number }
  /** Drop this share of packets, both ways, until cleared. */
  | { kind: 'packet_loss'; pct: number }
  /** Hold every COMMAND_ACK back by `delayMs` (simulated) before sending it. */
  | { kind: 'ack_delay'; delayMs: number }
  /** Drop this share of COMMAND_ACKs (default 100): the command still executes, its ack is lost. */
  | { kind: 'ack_drop'; pct?: number }
  /** GPS reports no fix (for `durationS`, or until cleared); Copter's EKF failsafe lands the vehicle. */
  | { kind: 'gps_loss'; durationS?: number }
  /** The battery loses `pct` points of charge at once (a failing cell), which may trip the failsafe. */
  | { kind: 'battery_sag'; pct: number }
  /** Answer every MISSION_COUNT (of `missionType`, default all) with this MISSION_ACK error. */
  | { kind: 'mission_reject'; result?: 'denied' | 'no_space' | 'error'; missionType?: 'mission' | 'fence' | 'rally' };

export type DroneFaultKind = DroneFault['kind'];

/** What the vehicle really does (truth, not what it reports over a noisy GPS). */
export interface SimDroneState {
  latDeg: number;
  lonDeg: number;
  altRelM: number;
  altAmslM: number;
  headingDeg: number;
  groundSpeedMps: number;
  batteryPct: number;
  /** Mode as the autopilot names it: Copter STABILIZE, AUTO, GUIDED, LOITER, RTL, LAND…; PX4 AUTO.LOITER, AUTO.MISSION, OFFBOARD… */
  mode: string;
  armed: boolean;
  /** Current mission item (MISSION_CURRENT.seq). */
  missionSeq: number;
  /** GPS_FIX_TYPE as reported (0/1 no fix, 3 3D fix). */
  gpsFix: number;
}

export interface SimDroneHandle {
  id: string;
  systemId: number;
  udpPort?: number;
  tcpPort?: number;
  state(): SimDroneState;
  injectFault(f: DroneFault): void;
  clearFaults(): void;
  close(): Promise<void>;
}

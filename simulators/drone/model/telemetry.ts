import { common, minimal } from 'node-mavlink';
import type { MavLinkData } from 'node-mavlink';
import type { Autopilot } from './autopilot.ts';
import { DEG } from './geo.ts';
import type { GpsSensor } from './gps.ts';


const Sensor = common.MavSysStatusSensor;
/** Sensors a Copter reports present/enabled/healthy in SYS_STATUS. */
const SENSORS = Sensor.SENSOR_3D_GYRO | Sensor.SENSOR_3D_ACCEL | Sensor.SENSOR_3D_MAG | Sensor.SENSOR_ABSOLUTE_PRESSURE |
  Sensor.SENSOR_GPS | Sensor.SENSOR_ANGULAR_RATE_CONTROL | Sensor.SENSOR_ATTITUDE_STABILIZATION | Sensor.SENSOR_YAW_POSITION |
  Sensor.SENSOR_Z_ALTITUDE_CONTROL | Sensor.SENSOR_XY_POSITION_CONTROL | Sensor.SENSOR_MOTOR_OUTPUTS | Sensor.SENSOR_BATTERY |
  Sensor.AHRS | Sensor.PREARM_CHECK;

const TM = common.PositionTargetTypemask;
const POSITION_ONLY = (TM.VX_IGNORE | TM.VY_IGNORE | TM.VZ_IGNORE | TM.AX_IGNORE | TM.AY_IGNORE | TM.AZ_IGNORE |
  TM.YAW_IGNORE | TM.YAW_RATE_IGNORE) as common.PositionTargetTypemask;

export interface TelemetrySource {
  ap: Autopilot;
  gps: GpsSensor;
}

/**
 * Builds one streamed message from the vehicle's state (what it reports, GPS errors
 * included). With `into` (an instance of the same class from an earlier call) the object
 * is refilled instead of allocated: node-mavlink's constructors initialise every field,
 * and at 1,000 vehicles × 36 messages/s that allocation was the largest cost after idle.
 */
export function buildMessage(msgId: number, src: TelemetrySource, into?: MavLinkData): MavLinkData | undefined {
  const { ap, gps } = src;
  const b = ap.body;
  const t = ap.timeBootMs;
  switch (msgId) {
    case minimal.Heartbeat.MSG_ID: {
      const m = (into as minimal.Heartbeat | undefined) ?? new minimal.Heartbeat();
      const p = ap.personality;
      m.type = minimal.MavType.QUADROTOR;
      m.autopilot = p.mavAutopilot;
      m.baseMode = p.baseMode(ap.mode, ap.armed);
      m.customMode = p.customMode(ap.mode);
      m.systemStatus = ap.armed ? minimal.MavState.ACTIVE : minimal.MavState.STANDBY;
      m.mavlinkVersion = 3;
      return m;
    }
    case common.SysStatus.MSG_ID: {
      const m = (into as common.SysStatus | undefined) ?? new common.SysStatus();
      m.onboardControlSensorsPresent = SENSORS;
      m.onboardControlSensorsEnabled = SENSORS;
      let health = SENSORS;
      if (gps.fixType < 3) health &= ~Sensor.SENSOR_GPS;
      if (!ap.positionOk()) health &= ~Sensor.AHRS;
      // MAV_SYS_STATUS_PREARM_CHECK: PX4 sets it when it can arm in the current mode
      // (SYS_STATUS stream: can_arm_mode_flags), ArduPilot when its pre-arm checks pass.
      if (ap.prearmFailures(ap.personality.kind === 'ardupilot').length > 0) health &= ~Sensor.PREARM_CHECK;
      m.onboardControlSensorsHealth = health;
      m.load = 250;
      m.voltageBattery = Math.round(ap.battery.voltageV * 1000);
      m.currentBattery = Math.round(ap.battery.currentA * 100);
      m.batteryRemaining = Math.round(ap.battery.pct);
      return m;
    }
    case common.GpsRawInt.MSG_ID: {
      const m = (into as common.GpsRawInt | undefined) ?? new common.GpsRawInt();
      m.timeUsec = BigInt(t) * 1000n;
      m.fixType = gps.fixType;
      const fix = gps.fixType >= 3;
      // Before the first fix SITL reports lat/lon 0 with fix type 0 (issue 11: 6.5 s of 0,0).
      m.lat = fix ? Math.round(gps.latDeg * 1e7) : 0;
      m.lon = fix ? Math.round(gps.lonDeg * 1e7) : 0;
      m.alt = fix ? Math.round(gps.altAmslM * 1000) : 0;
      m.eph = gps.ephCm;
      m.epv = fix ? Math.round(gps.ephCm * 1.5) : 9999;
      m.vel = fix ? Math.round(Math.hypot(b.vn, b.ve) * 100) : 0;
      m.cog = fix ? Math.round(((Math.atan2(b.ve, b.vn) / DEG + 360) % 360) * 100) : 0;
      m.satellitesVisible = gps.satellites;
      return m;
    }
    case common.MissionCurrent.MSG_ID: {
      const m = (into as common.MissionCurrent | undefined) ?? new common.MissionCurrent();
      m.seq = ap.mission.currentSeq;
      m.total = ap.mission.total - ap.mission.firstSeq; // home (ArduPilot's item 0) is not counted
      // PX4 (MavlinkMissionManager::update_mission_state): an invalid mission is NO_MISSION.
      m.missionState = !ap.missionValid ? common.MissionState.NO_MISSION
        : ap.mission.state === 'complete' ? common.MissionState.COMPLETE
        : ap.mission.state === 'running' && ap.mode === 'AUTO' ? common.MissionState.ACTIVE
          : ap.mission.total > ap.mission.firstSeq ? common.MissionState.NOT_STARTED : common.MissionState.NO_MISSION;
      m.missionMode = ap.mode === 'AUTO' ? 1 : 0;
      return m;
    }
    case common.GlobalPositionInt.MSG_ID: {
      const m = (into as common.GlobalPositionInt | undefined) ?? new common.GlobalPositionInt();
      m.timeBootMs = t;
      // Until the GPS has a fix the EKF has no origin: SITL sends 0,0 (issue 11).
      m.lat = gps.fixType >= 3 || gps.everFixed ? Math.round(gps.latDeg * 1e7) : 0;
      m.lon = gps.fixType >= 3 || gps.everFixed ? Math.round(gps.lonDeg * 1e7) : 0;
      // The EKF's altitude leans on the barometer, not on the GPS's noisier height.
      m.alt = Math.round(b.altAmslM * 1000);
      m.relativeAlt = Math.round((b.altAmslM - ap.home.altAmslM) * 1000);
      m.vx = Math.round(b.vn * 100);
      m.vy = Math.round(b.ve * 100);
      m.vz = Math.round(-b.vu * 100);
      m.hdg = Math.round(b.headingDeg * 100) % 36000;
      return m;
    }
    case common.Attitude.MSG_ID: {
      const m = (into as common.Attitude | undefined) ?? new common.Attitude();
      m.timeBootMs = t;
      // A multirotor leans into its acceleration and against air drag.
      const drag = 0.012 * ap.lastAirspeedMps * ap.lastAirspeedMps;
      m.pitch = -Math.atan2(b.aFwd + drag, 9.81);
      m.roll = Math.atan2(b.aRight, 9.81);
      m.yaw = ((b.headingDeg > 180 ? b.headingDeg - 360 : b.headingDeg) * DEG);
      m.yawspeed = b.yawRateDegS * DEG;
      return m;
    }
    case common.VfrHud.MSG_ID: {
      const m = (into as common.VfrHud | undefined) ?? new common.VfrHud();
      m.airspeed = ap.lastAirspeedMps;
      m.groundspeed = Math.hypot(b.vn, b.ve);
      m.heading = Math.round(b.headingDeg) % 360;
      m.throttle = ap.armed ? Math.round(ap.battery.powerShare({ armed: ap.armed, landed: b.landed, airspeedMps: ap.lastAirspeedMps, climbMps: b.vu }) * 45) : 0;
      m.alt = b.altAmslM;
      m.climb = b.vu;
      return m;
    }
    case common.BatteryStatus.MSG_ID: {
      const m = (into as common.BatteryStatus | undefined) ?? new common.BatteryStatus();
      m.id = 0;
      m.batteryFunction = common.MavBatteryFunction.ALL;
      m.type = common.MavBatteryType.LIPO;
      m.temperature = 32767; // unknown
      const cell = ap.battery.cellMv;
      m.voltages = [cell, cell, cell, cell, 65535, 65535, 65535, 65535, 65535, 65535];
      m.voltagesExt = [0, 0, 0, 0];
      m.currentBattery = Math.round(ap.battery.currentA * 100);
      m.currentConsumed = ap.battery.consumedMah;
      m.energyConsumed = -1;
      m.batteryRemaining = Math.round(ap.battery.pct);
      m.timeRemaining = ap.battery.timeRemainingS;
      m.chargeState = ap.batteryState;
      return m;
    }
    case common.HomePosition.MSG_ID:
      return homePosition(ap); // rare: no reuse
    case common.PositionTargetGlobalInt.MSG_ID: {
      // Copter streams its navigation target only while it has one (GUIDED, AUTO, RTL).
      const nav = ap.nav;
      if (nav.kind !== 'goto' || ap.mode === 'LOITER' || ap.mode === 'STABILIZE') return undefined;
      const m = (into as common.PositionTargetGlobalInt | undefined) ?? new common.PositionTargetGlobalInt();
      m.timeBootMs = t;
      m.coordinateFrame = common.MavFrame.GLOBAL; // ArduPilot reports an AMSL altitude
      m.typeMask = POSITION_ONLY;
      m.latInt = Math.round(nav.target.latDeg * 1e7);
      m.lonInt = Math.round(nav.target.lonDeg * 1e7);
      m.alt = nav.target.altAmslM;
      return m;
    }
  }
  return undefined;
}

export function homePosition(ap: Autopilot): common.HomePosition {
  const m = new common.HomePosition();
  m.latitude = Math.round(ap.home.latDeg * 1e7);
  m.longitude = Math.round(ap.home.lonDeg * 1e7);
  m.altitude = Math.round(ap.home.altAmslM * 1000);
  m.q = [1, 0, 0, 0];
  m.timeUsec = BigInt(ap.timeBootMs) * 1000n;
  return m;
}



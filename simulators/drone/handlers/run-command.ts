import { common, standard } from 'node-mavlink';
import type { SimVehicle } from '../model/vehicle.ts';
import type { Peer } from '../transfer/mission-transfer.ts';
import type { AltFrame } from '../model/personality/personality.ts';
import { setModeResult } from './set-mode.ts';
import { guidedTargetOutsideFence } from './guided-target-fence.ts';

const Cmd = common.MavCmd;
const Res = common.MavResult;
/** ArduPilot's magic param2 that forces arming/disarming past the checks. */
const FORCE_MAGIC = 21196;

export type { AltFrame };

/** COMMAND_LONG and COMMAND_INT, normalised: positions in degrees, altitude with its frame. */
export interface CommandRequest {
  command: number;
  p: [number, number, number, number];
  latDeg: number;
  lonDeg: number;
  alt: number;
  altFrame: AltFrame;
  raw5: number;
  raw6: number;
}

/**
 * Runs one command the way Copter's GCS_MAVLINK_Copter (or PX4's commander) does and
 * acks it (through the ack faults). Texts it raises follow the ack, never precede it.
 */
export function runCommand(v: SimVehicle, peer: Peer, req: CommandRequest): void {
  v.withCommandTexts(() => {
    const result = execute(v, peer, req);
    if (result !== undefined) v.commandAck(peer, req.command, result);
  });
}

function execute(v: SimVehicle, peer: Peer, req: CommandRequest): number | undefined {
  const ap = v.ap;
  const [p1, p2, p3] = req.p;
  switch (req.command) {
    case Cmd.COMPONENT_ARM_DISARM: {
      const force = Math.round(p2) === FORCE_MAGIC;
      if (p1 === 1) return ap.arm(force) ? Res.ACCEPTED : v.personality.armRefusedResult;
      if (p1 === 0) {
        if (!ap.armed) return Res.ACCEPTED;
        if (!ap.disarm(force)) return Res.FAILED;
        v.text(common.MavSeverity.INFO, v.personality.disarmedText);
        return Res.ACCEPTED;
      }
      return Res.DENIED;
    }
    case Cmd.NAV_TAKEOFF:
      return ap.takeoff(takeoffAltAmsl(v, req)) ? Res.ACCEPTED : Res.FAILED;
    case Cmd.DO_SET_MODE:
      return setModeResult(v, p1, v.personality.modeFromCommand(p2, p3));
    case Cmd.NAV_RETURN_TO_LAUNCH:
      return ap.setMode('RTL') ? Res.ACCEPTED : Res.FAILED;
    case Cmd.NAV_LAND:
      return ap.setMode('LAND') ? Res.ACCEPTED : Res.FAILED;
    case Cmd.DO_REPOSITION:
      return reposition(v, req);
    case Cmd.DO_CHANGE_SPEED:
      // GCS_MAVLINK_Copter::handle_MAV_CMD_DO_CHANGE_SPEED: speed ≤ 0 or an unknown type is
      // DENIED; 0 airspeed / 1 groundspeed, 2 climb, 3 descent; modes that cannot take it FAIL.
      if (!(p2 > 0) || ![0, 1, 2, 3].includes(p1)) return Res.DENIED;
      if (p1 >= 2) return ap.changeVerticalSpeed(p2, p1 === 2) ? Res.ACCEPTED : Res.FAILED;
      return ap.changeSpeed(p2) ? Res.ACCEPTED : Res.FAILED;
    case Cmd.MISSION_START:
      // Copter: first/last item are not supported (DENIED); PX4 starts at param1.
      if (!v.personality.missionStartTakesRange && (p1 !== 0 || p2 !== 0)) return Res.DENIED;
      // PX4 Commander: a mission that failed the feasibility check is no mission (DENIED).
      if (!ap.missionValid) {
        if (v.personality.missionStartDeniedText) v.text(common.MavSeverity.CRITICAL, v.personality.missionStartDeniedText);
        return Res.DENIED;
      }
      if (!ap.mission.hasNavItems()) return Res.FAILED;
      return ap.missionStart(p1 >= 1 ? Math.round(p1) : undefined) ? Res.ACCEPTED : Res.FAILED;
    case Cmd.DO_SET_MISSION_CURRENT:
      return ap.mission.setCurrent(Math.round(p1), ap.mode === 'AUTO' && ap.armed, v.nowMs) ? Res.ACCEPTED : Res.DENIED;
    case Cmd.DO_FENCE_ENABLE:
      if (p1 !== 0 && p1 !== 1) return Res.DENIED;
      ap.setFenceEnabled(p1 === 1);
      return Res.ACCEPTED;
    case Cmd.DO_SET_HOME:
      if (p1 === 1) ap.setHome({ ...ap.body });
      else {
        if (!validLatLon(req.latDeg, req.lonDeg)) return Res.DENIED;
        ap.setHome({ latDeg: req.latDeg, lonDeg: req.lonDeg, altAmslM: req.altFrame === 'amsl' ? req.alt : ap.home.altAmslM + req.alt });
      }
      return Res.ACCEPTED;
    case Cmd.SET_MESSAGE_INTERVAL: {
      const streams = v.streams(peer.ch);
      return streams?.setMessageInterval(Math.round(p1), p2, v.nowMs, 250) ? Res.ACCEPTED : Res.DENIED;
    }
    case Cmd.GET_MESSAGE_INTERVAL: {
      const us = v.streams(peer.ch)?.intervalUs(Math.round(p1));
      if (us === undefined) return Res.DENIED;
      const m = new common.MessageInterval();
      m.messageId = Math.round(p1);
      m.intervalUs = us;
      v.send(peer.ch, m);
      return Res.ACCEPTED;
    }
    case Cmd.REQUEST_MESSAGE: {
      const msg = Math.round(p1) === standard.AutopilotVersion.MSG_ID ? autopilotVersion(v) : v.buildOnce(Math.round(p1));
      if (!msg) return Res.DENIED;
      v.commandAck(peer, req.command, Res.ACCEPTED);
      v.send(peer.ch, msg);
      return undefined;
    }
    case Cmd.GET_HOME_POSITION:
      v.commandAck(peer, req.command, Res.ACCEPTED);
      v.send(peer.ch, v.buildOnce(common.HomePosition.MSG_ID)!);
      return undefined;
    case Cmd.REQUEST_AUTOPILOT_CAPABILITIES:
      v.commandAck(peer, req.command, Res.ACCEPTED);
      v.send(peer.ch, autopilotVersion(v));
      return undefined;
    case Cmd.RUN_PREARM_CHECKS: {
      if (ap.armed) return Res.DENIED;
      ap.reportPrearm();
      return Res.ACCEPTED;
    }
    case Cmd.PREFLIGHT_REBOOT_SHUTDOWN:
      // param1: 1 reboot the autopilot, 3 reboot into the bootloader (same to a GCS); shutdown is not offered.
      if (ap.armed) return Res.TEMPORARILY_REJECTED;
      if (p1 !== 1 && p1 !== 3) return Res.UNSUPPORTED;
      v.scheduleReboot();
      return Res.ACCEPTED;
    case Cmd.PREFLIGHT_CALIBRATION:
      return ap.armed ? Res.TEMPORARILY_REJECTED : Res.ACCEPTED;
    default:
      void p3;
      return Res.UNSUPPORTED;
  }
}

/**
 * MAV_CMD_DO_REPOSITION (Copter handle_command_int_do_reposition): DENIED outside
 * GUIDED unless param2 has MAV_DO_REPOSITION_FLAGS_CHANGE_MODE, DENIED for a bad
 * position, FAILED when the mode change is refused or (Copter) the target is outside
 * the enabled fence.
 */
function reposition(v: SimVehicle, req: CommandRequest): number {
  const ap = v.ap;
  const p = v.personality;
  const changeMode = (Math.round(req.p[1]) & common.MavDoRepositionFlags.CHANGE_MODE) !== 0;
  // PX4's commander refuses it without the flag in any mode; Copter only outside GUIDED.
  if (p.repositionNeedsModeFlag === 'always' && !changeMode) return Res.UNSUPPORTED;
  if (ap.mode !== 'GUIDED' && !changeMode) return Res.DENIED;
  if (!validLatLon(req.latDeg, req.lonDeg)) return Res.DENIED;
  // Copter: the target is checked against the fence before the mode changes; a bare FAILED.
  if (guidedTargetOutsideFence(v, { latDeg: req.latDeg, lonDeg: req.lonDeg })) return Res.FAILED;
  if (ap.mode !== 'GUIDED' && !ap.setMode('GUIDED')) return Res.FAILED;
  // Copter ignores param1 (SITL flew WPNAV_SPEED whatever it said, issue 11); PX4 obeys it.
  if (p.repositionSetsSpeed && req.p[0] > 0) ap.setWpSpeed(req.p[0]);
  const altAmslM = Number.isNaN(req.alt) ? ap.body.altAmslM : req.altFrame === 'amsl' ? req.alt : ap.home.altAmslM + req.alt;
  return ap.guidedGoto({ latDeg: req.latDeg, lonDeg: req.lonDeg, altAmslM }) ? Res.ACCEPTED : Res.FAILED;
}

/**
 * NAV_TAKEOFF's target altitude, AMSL. Copter reads param7 above home; PX4 reads it AMSL
 * (NaN: its MIS_TAKEOFF_ALT, 2.5 m above home).
 */
function takeoffAltAmsl(v: SimVehicle, req: CommandRequest): number {
  const home = v.ap.home.altAmslM;
  if (Number.isNaN(req.alt)) return home + (v.personality.defaultTakeoffAltM ?? Number.NaN);
  return req.altFrame === 'amsl' ? req.alt : home + req.alt;
}

function validLatLon(lat: number, lon: number): boolean {
  return Number.isFinite(lat) && Number.isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180 && !(lat === 0 && lon === 0);
}

function autopilotVersion(v: SimVehicle): standard.AutopilotVersion {
  const C = standard.MavProtocolCapability;
  const m = new standard.AutopilotVersion();
  // uint64 on the wire: node-mavlink writes it with writeBigUInt64LE.
  m.capabilities = BigInt(C.MISSION_FLOAT | C.PARAM_FLOAT | C.MISSION_INT | C.COMMAND_INT | C.SET_POSITION_TARGET_GLOBAL_INT |
    C.FLIGHT_TERMINATION | C.COMPASS_CALIBRATION | C.MAVLINK2 | C.MISSION_FENCE | C.MISSION_RALLY) as unknown as standard.MavProtocolCapability;
  m.flightSwVersion = v.personality.flightSwVersion;
  m.middlewareSwVersion = 0;
  m.osSwVersion = 0;
  m.boardVersion = 0;
  m.flightCustomVersion = [0, 0, 0, 0, 0, 0, 0, 0];
  m.middlewareCustomVersion = [0, 0, 0, 0, 0, 0, 0, 0];
  m.osCustomVersion = [0, 0, 0, 0, 0, 0, 0, 0];
  m.vendorId = 0;
  m.productId = 0;
  m.uid = BigInt(v.systemId);
  m.uid2 = [];
  return m;
}

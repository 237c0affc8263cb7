import { common } from 'node-mavlink';

/**
 * The one outcome of a vehicle command (MAVSDK's Action::Result idea): a closed union,
 * so a caller's `switch` is checked for completeness by the compiler.
 */
export const COMMAND_STATUSES = [
  'success',
  'denied',
  'temporarily_rejected',
  'unsupported',
  'failed',
  'in_progress',
  'timeout',
  'cancelled',
  'link_lost',
  'busy',
  'no_vehicle',
] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

export interface CommandResult {
  status: CommandStatus;
  /** Human-readable detail: the autopilot's STATUSTEXT or why we gave up. */
  message?: string;
  /** MAV_RESULT when the vehicle answered. */
  mavResult?: number;
  /** Sends made, including retransmissions. */
  attempts?: number;
  /** Go-to: the ground speed the vehicle accepted (absent: it flies its default). */
  commandedSpeedMps?: number;
}

/** MAV_RESULT → CommandStatus. The only place this mapping exists. */
export function mapMavResult(result: number): CommandStatus {
  switch (result) {
    case common.MavResult.ACCEPTED:
      return 'success';
    case common.MavResult.TEMPORARILY_REJECTED:
      return 'temporarily_rejected';
    case common.MavResult.DENIED:
      return 'denied';
    case common.MavResult.UNSUPPORTED:
    case common.MavResult.COMMAND_LONG_ONLY:
    case common.MavResult.COMMAND_INT_ONLY:
    case common.MavResult.COMMAND_UNSUPPORTED_MAV_FRAME:
      return 'unsupported';
    case common.MavResult.IN_PROGRESS:
      return 'in_progress';
    case common.MavResult.CANCELLED:
      return 'cancelled';
    case common.MavResult.FAILED:
    default:
      return 'failed';
  }
}

/** Outcome of a mission/fence/rally transfer (QGC PlanManager's named errors). */
export const TRANSFER_STATUSES = [
  'success',
  'denied',
  'no_space',
  'invalid',
  'unsupported',
  'error',
  'ack_timeout',
  'item_timeout',
  'item_mismatch',
  'cancelled',
  'link_lost',
  'busy',
] as const;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];

/** MAV_MISSION_RESULT → TransferStatus, the mission protocol's one mapping. */
export function mapMissionResult(result: number): TransferStatus {
  const R = common.MavMissionResult;
  switch (result) {
    case R.ACCEPTED:
      return 'success';
    case R.DENIED:
      return 'denied';
    case R.NO_SPACE:
      return 'no_space';
    case R.UNSUPPORTED:
    case R.UNSUPPORTED_FRAME:
      return 'unsupported';
    case R.OPERATION_CANCELLED:
      return 'cancelled';
    case R.INVALID:
    case R.INVALID_PARAM1:
    case R.INVALID_PARAM2:
    case R.INVALID_PARAM3:
    case R.INVALID_PARAM4:
    case R.INVALID_PARAM5_X:
    case R.INVALID_PARAM6_Y:
    case R.INVALID_PARAM7:
    case R.INVALID_SEQUENCE:
      return 'invalid';
    default:
      return 'error';
  }
}

import type { MavlinkMessage } from '../../../mavlink/index.ts';
import type { Vehicle } from '../../vehicle/vehicle.ts';

/** One inbound message kind's handler: updates the vehicle, never throws, does no I/O itself. */
export type Handler = (vehicle: Vehicle, message: MavlinkMessage, nowMs: number) => void;

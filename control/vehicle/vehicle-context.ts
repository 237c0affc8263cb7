import type { CommandSender } from './command-sender.ts';
import type { PlanApi } from './plan-api.ts';
import type { Vehicle, VehicleEvents } from './vehicle.ts';

/**
 * What each capability may use of its vehicle (issue 13, item 5): small views of
 * `Vehicle`, so a signature says what a capability touches and a test can hand it a fake
 * with only that. `Vehicle` satisfies every one. (CommandSender and MissionTransfer take
 * their own, CommandTarget and TransferIo.) No capability module imports vehicle.ts but
 * this one (tests/architecture.test.ts).
 */

/** Sending on the vehicle's link: its identity and the link's one sender. */
export type VehicleLink = Pick<Vehicle, 'send' | 'systemId' | 'componentId'>;

/**
 * Listening to the vehicle's events. Not `Pick<Vehicle, 'on' | 'off'>`: EventEmitter's
 * methods return `this`, so a picked `on` would demand a whole Vehicle of any fake.
 */
export interface VehicleListen {
  on<K extends keyof VehicleEvents>(event: K, listener: (...args: VehicleEvents[K]) => void): unknown;
  off<K extends keyof VehicleEvents>(event: K, listener: (...args: VehicleEvents[K]) => void): unknown;
}

/** Watching the vehicle's own reports for an outcome: its state, its events, and its clock for the budget. */
export type VehicleWatch = VehicleListen & Pick<Vehicle, 'telemetryState' | 'clock'>;

/** Sending acknowledged commands through the vehicle's one sender (retries, acks, refusals). */
export interface VehicleCommands {
  readonly commands: Pick<CommandSender, 'send'>;
}

/** Asking the vehicle something by an acknowledged command. */
export type VehicleAsk = VehicleCommands & Pick<Vehicle, 'online' | 'timeouts' | 'telemetryState' | 'clock'>;

/** The plan capability (mission, fence, rally): transfers, and what it compares and waits on. */
export type PlanContext = VehicleLink & Pick<Vehicle, 'autopilot' | 'telemetryState' | 'clock' | 'runTransfer' | 'statusTextsSince'>;

/** Telemetry stream requests: whether it is heard, and how to ask. */
export type StreamContext = VehicleLink & VehicleCommands & Pick<Vehicle, 'online' | 'telemetryState' | 'clock'>;

/**
 * The action capability (action.ts): it sends acknowledged commands and, for the
 * position-target fallback, a bare message; it judges outcomes from the vehicle's state
 * and events; and it reads two facts of the plans the vehicle holds: whether the mission
 * was verified (a mission start needs it) and the fence (to name a refused go-to's cause).
 */
export type ActionContext = VehicleLink &
  VehicleWatch &
  VehicleAsk &
  Pick<Vehicle, 'autopilot' | 'clock' | 'lastHeartbeatMs'> & {
    readonly mission: Pick<PlanApi, 'verified'>;
    readonly geofence: Pick<PlanApi, 'verified' | 'items'>;
  };

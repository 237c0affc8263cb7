import type { Vehicle } from './vehicle.ts';

/**
 * What each capability may use of its vehicle (issue 13, item 5): small views of
 * `Vehicle`, so a signature says what a capability touches and a test can hand it a fake
 * with only that. `Vehicle` satisfies every one. (CommandSender and MissionTransfer take
 * their own, CommandTarget and TransferIo.)
 */

/** Sending on the vehicle's link: its identity and the link's one sender. */
export type VehicleLink = Pick<Vehicle, 'send' | 'systemId' | 'componentId'>;

/** Watching the vehicle's own reports for an outcome: its state and its events. */
export type VehicleWatch = Pick<Vehicle, 'telemetryState' | 'on' | 'off'>;

/** Asking the vehicle something by an acknowledged command. */
export type VehicleAsk = Pick<Vehicle, 'commands' | 'online' | 'timeouts' | 'telemetryState'>;

/** The plan capability (mission, fence, rally): transfers, and what it compares and waits on. */
export type PlanContext = VehicleLink & Pick<Vehicle, 'autopilot' | 'telemetryState' | 'clock' | 'runTransfer' | 'statusTextsSince'>;

/** Telemetry stream requests: whether it is heard, and how to ask. */
export type StreamContext = VehicleLink & Pick<Vehicle, 'online' | 'telemetryState' | 'commands' | 'clock'>;

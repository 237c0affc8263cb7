import { ardupilotmega, common, minimal, standard, type MavLinkPacketRegistry } from 'node-mavlink';

/** Every message class ringwatch decodes: the minimal, standard (AUTOPILOT_VERSION), common and ArduPilot dialects. */
export const MAVLINK_REGISTRY: MavLinkPacketRegistry = {
  ...minimal.REGISTRY,
  ...standard.REGISTRY,
  ...common.REGISTRY,
  ...ardupilotmega.REGISTRY,
};

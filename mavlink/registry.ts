import { ardupilotmega, common, minimal, type MavLinkPacketRegistry } from 'node-mavlink';

/** Every message class ringwatch decodes: the minimal, common and ArduPilot dialects. */
export const MAVLINK_REGISTRY: MavLinkPacketRegistry = {
  ...minimal.REGISTRY,
  ...common.REGISTRY,
  ...ardupilotmega.REGISTRY,
};

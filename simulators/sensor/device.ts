import { checkPayload, type SensorCommand } from '../../protocol/index.ts';
import { DeviceConnection, readableId } from '../fleet/mqtt-device.ts';
import { SensorSim, type SensorSimOptions, type SensorSpec } from './sensor-sim.ts';

export const SENSOR_FIRMWARE = 'ringwatch-sim-sensor/1.0';

/**
 * Faults a checkpoint sensor can be given at runtime:
 * - `offline`: the connection drops without DISCONNECT (the broker sends the will);
 * - `stop_heartbeats`: still connected and still sending events, but no heartbeats,
 *   the way a wedged reporting task looks from the control room.
 */
export const SENSOR_FAULTS = ['offline', 'stop_heartbeats'] as const;
export type SensorFault = (typeof SENSOR_FAULTS)[number];

export interface SimSensorHandle {
  readonly id: string;
  readonly sim: SensorSim;
  readonly connection: DeviceConnection;
  readonly counters: { unparseable: number };
  injectFault(fault: SensorFault): Promise<void>;
  clearFaults(): Promise<void>;
  faults(): SensorFault[];
  close(): Promise<void>;
}

/** Wires a SensorSim to its MQTT session. Call `connect()` on the handle's connection, then `sim.start()`. */
export function createSimSensor(
  spec: SensorSpec,
  conn: { mqttUrl: string; secret: string; connectTimeoutMs?: number },
  simOpts: SensorSimOptions,
): SimSensorHandle {
  const faults = new Set<SensorFault>();
  const counters = { unparseable: 0 };
  // eslint-disable-next-line prefer-const -- the sink refers to the connection made below
  let connection: DeviceConnection;
  const sim = new SensorSim(spec, simOpts, {
    event: (ev) => connection.publish('event', ev, { qos: 1 }),
    telemetry: (t) => connection.publish('telemetry', t),
    ack: (a) => connection.publish('ack', a, { qos: 1 }),
  });
  connection = new DeviceConnection({
    mqttUrl: conn.mqttUrl,
    kind: 'sensor',
    id: spec.id,
    secret: conn.secret,
    firmware: SENSOR_FIRMWARE,
    connectTimeoutMs: conn.connectTimeoutMs,
    onCommand: (buf) => {
      const check = checkPayload<SensorCommand>('sensor', 'cmd', buf);
      if (check.ok) return sim.handleCommand(check.value);
      const id = check.reason === 'schema' ? readableId(buf) : undefined;
      if (id) sim.reject(id, check.message);
      else counters.unparseable++;
    },
  });
  return {
    id: spec.id,
    sim,
    connection,
    counters,
    async injectFault(fault) {
      faults.add(fault);
      if (fault === 'stop_heartbeats') sim.stopHeartbeats = true;
      if (fault === 'offline') await connection.dropUngracefully();
    },
    async clearFaults() {
      sim.stopHeartbeats = false;
      const wasOffline = faults.delete('offline');
      faults.clear();
      if (wasOffline) await connection.restore();
    },
    faults: () => [...faults],
    async close() {
      sim.stop();
      await connection.close();
    },
  };
}

import { describe, expect, it } from 'vitest';
import { duplexPair } from '../helpers/duplex.ts';
import { common, minimal } from 'node-mavlink';
import { MavlinkLink, type MavlinkMessage } from '../../mavlink/link.ts';
import { UdpDuplex } from '../../mavlink/transports/udp.ts';
import { parseEndpoint } from '../../mavlink/endpoint.ts';
import { copterHeartbeat } from '../helpers/copter-heartbeat.ts';


const heartbeat = () => copterHeartbeat(5);

const nextMessage = (link: MavlinkLink) => new Promise<MavlinkMessage>((resolve) => link.once('message', resolve));

describe('MavlinkLink', () => {
  it('carries messages both ways with each side’s own identity and sequence', async () => {
    const [a, b] = duplexPair();
    const gcs = new MavlinkLink(a, { systemId: 255, componentId: 190 });
    const vehicle = new MavlinkLink(b, { systemId: 7, componentId: 1 });
    const got = nextMessage(gcs);
    vehicle.send(heartbeat());
    const m = await got;
    expect(m).toMatchObject({ sysid: 7, compid: 1, msgid: minimal.Heartbeat.MSG_ID, seq: 0 });
    expect((m.data as minimal.Heartbeat).customMode).toBe(5);

    const cmd = new common.CommandLong();
    cmd.targetSystem = 7;
    cmd.targetComponent = 1;
    cmd.command = common.MavCmd.COMPONENT_ARM_DISARM;
    cmd._param1 = 1;
    const got2 = nextMessage(vehicle);
    gcs.send(cmd);
    gcs.send(cmd);
    const m2 = await got2;
    expect(m2).toMatchObject({ sysid: 255, compid: 190, seq: 0 });
    expect((m2.data as common.CommandLong).command).toBe(common.MavCmd.COMPONENT_ARM_DISARM);
    expect(gcs.counters.txPackets).toBe(2);
    gcs.close();
    vehicle.close();
  });

  it('skips corrupted frames and keeps going', async () => {
    const [a, b] = duplexPair();
    const gcs = new MavlinkLink(a, { systemId: 255, componentId: 190 });
    const got = nextMessage(gcs);
    b.write(Buffer.from([0xfd, 9, 0, 0, 0, 1, 1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xde, 0xad])); // bad CRC
    const vehicle = new MavlinkLink(b, { systemId: 3, componentId: 1 });
    vehicle.send(heartbeat());
    expect((await got).sysid).toBe(3);
    expect(gcs.invalidFrames).toBeGreaterThanOrEqual(1);
    gcs.close();
    vehicle.close();
  });

  it('runs over loopback UDP, answering whoever spoke', async () => {
    const vehicleSide = await UdpDuplex.open({ bindPort: 0 });
    const gcsSide = await UdpDuplex.open({ bindPort: 0, remote: { host: '127.0.0.1', port: vehicleSide.localPort } });
    const gcs = new MavlinkLink(gcsSide, { systemId: 255, componentId: 190 });
    const vehicle = new MavlinkLink(vehicleSide, { systemId: 1, componentId: 1 });
    const atVehicle = nextMessage(vehicle);
    gcs.send(heartbeat());
    expect((await atVehicle).sysid).toBe(255);
    const atGcs = nextMessage(gcs);
    vehicle.send(heartbeat()); // vehicle learned the GCS address from its datagram
    expect((await atGcs).sysid).toBe(1);
    gcs.close();
    vehicle.close();
  });

  it('parses endpoint URLs and refuses bad ones with a reason', () => {
    expect(parseEndpoint('udpout://127.0.0.1:14561')).toEqual({ transport: 'udpout', host: '127.0.0.1', port: 14561 });
    expect(() => parseEndpoint('serial:///dev/ttyUSB0')).toThrow(/must look like/);
    expect(() => parseEndpoint('tcp://h:70000')).toThrow(/out of range/);
  });
});

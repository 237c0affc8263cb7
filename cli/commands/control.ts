import { defaultSecretsPath, loadSecretsFile, loadSite } from '../../site/index.ts';
import { MqttBus } from '../../control/mqtt/bus.ts';
import { startControlService } from '../../control/service.ts';
import { requireString, UsageError, waitForStopSignal, type Command } from '../args.ts';

const usage = `Usage: ringwatch control --site FILE [--mqtt URL] [--secrets FILE] [--data-dir DIR] [--rate HZ]

Connects to every site drone's MAVLink endpoint (udp://, udpout://, tcp://), publishes
their telemetry and status on the broker as the control service, and runs the command
ledger. Ctrl-C closes every link and marks the drones offline.

  --site FILE       site file (e.g. sites/demo.yaml)
  --mqtt URL        broker URL (default mqtt://127.0.0.1:1883); "none" runs without MQTT
  --secrets FILE    plain secrets file holding services.control
                    (default: the site file's .secrets.yaml, or $RINGWATCH_MQTT_SECRET)
  --data-dir DIR    where the ledger's JSONL lives (default ./data/control)
  --rate HZ         MQTT telemetry rate per drone (default 2)`;

export const controlCommand: Command = {
  name: 'control',
  summary: 'run the MAVLink links, telemetry gateway and command ledger for a site',
  usage,
  options: {
    site: { type: 'string' },
    mqtt: { type: 'string' },
    secrets: { type: 'string' },
    'data-dir': { type: 'string' },
    rate: { type: 'string' },
  },
  async run(values) {
    const siteFile = requireString(values, 'site', usage);
    const site = loadSite(siteFile);
    const mqttUrl = typeof values['mqtt'] === 'string' ? values['mqtt'] : 'mqtt://127.0.0.1:1883';
    const rate = values['rate'] === undefined ? 2 : Number(values['rate']);
    if (!Number.isFinite(rate) || rate <= 0 || rate > 50) throw new UsageError(`--rate must be 0-50 Hz, got "${String(values['rate'])}"`);
    const dataDir = typeof values['data-dir'] === 'string' ? values['data-dir'] : 'data/control';

    let bus: MqttBus | undefined;
    if (mqttUrl !== 'none') {
      const password =
        process.env['RINGWATCH_MQTT_SECRET'] ??
        loadSecretsFile(typeof values['secrets'] === 'string' ? values['secrets'] : defaultSecretsPath(siteFile)).services['control'];
      if (!password) throw new UsageError('no secret for the control service (services.control in the secrets file)');
      bus = await MqttBus.connect({ url: mqttUrl, username: 'control', password, clientSuffix: `gw-${process.pid}` });
    }
    const svc = await startControlService({ site, bus, dataDir, telemetryRateHz: rate });
    process.stdout.write(
      `control: ${svc.vehicles.size} drones on ${svc.links.size} MAVLink endpoints; ` +
        `${bus ? `publishing to ${mqttUrl}` : 'no MQTT'}; ledger in ${dataDir}\n`,
    );
    for (const v of svc.vehicles.values()) {
      v.on('online', () => process.stdout.write(`control: ${v.droneId} online (${v.endpointUrl} sysid ${v.systemId})\n`));
      v.on('link_lost', () => process.stdout.write(`control: ${v.droneId} link lost\n`));
      v.on('link_regained', () => process.stdout.write(`control: ${v.droneId} link regained\n`));
    }
    const sig = await waitForStopSignal();
    process.stdout.write(`control: ${sig}, closing\n`);
    await svc.close();
    await bus?.close();
  },
};

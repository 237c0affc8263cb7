import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import type { WebStack } from '../helpers/stack.ts';
import { loginAs, screenshot } from '../helpers/browser.ts';
import { useConsolePage, patientPoll } from '../helpers/console-page.ts';
import { connectAs } from '../helpers/broker.ts';
import { deviceTopic } from '../../protocol/index.ts';

// Issue 16 item 8: an engineer's console, not the operator's with every button greyed out.
let stack: WebStack;
let page: Page;
const UI_MS = 15_000;

useConsolePage({ stack: { speed: 10, sensors: 'all' }, browser: { width: 1366, height: 768 }, uiMs: UI_MS }, (c) => ({ stack, page } = c));

const poll = patientPoll(UI_MS);
const row = (id: string) => page.locator(`[data-testid="eng-row"][data-device="${id}"]`);
const why = (id: string) => page.locator(`[data-testid="eng-rejected-why"][data-device="${id}"]`);
const brokerItem = () => page.locator('[data-testid="eng-service"][data-broker="true"]');

describe('the engineer\'s console', () => {
  it('opens on device health: every drone, speaker and sensor with link quality, last message and autopilot; the services', async () => {
    await page.context().clearCookies();
    await loginAs(page, stack.webUrl, 'engineer');
    // The engineer's own tabs; no patrol or broadcast controls to grey out.
    expect(await page.getByTestId('tab-engineer').getAttribute('class')).toBe('active');
    expect(await page.getByTestId('tab-ops').count()).toBe(0);
    expect(await page.getByTestId('tab-broadcast').count()).toBe(0);
    for (const d of stack.site.drones) {
      await poll(() => row(d.id).getAttribute('data-online'), 20_000).toBe('true');
      await poll(() => row(d.id).getByTestId('eng-quality').textContent()).toMatch(/^\d+%$/);
      expect(await row(d.id).textContent()).toContain(d.mavlink.autopilot ?? 'ardupilot');
      expect(await row(d.id).getByTestId('eng-rejected').textContent()).toBe('0');
    }
    // Speakers and sensors as the server's presence book has them, row for row.
    const devices = stack.ops.presence.list().filter((d) => d.kind !== 'drone');
    expect(devices.filter((d) => d.kind === 'sensor').length).toBeGreaterThan(0);
    expect(devices.filter((d) => d.kind === 'speaker').length).toBeGreaterThan(0);
    for (const d of stack.ops.presence.list().filter((x) => x.kind !== 'drone'))
      await poll(() => row(d.id).getAttribute('data-online'), 20_000).toBe(String(stack.ops.presence.list().find((x) => x.id === d.id)!.state === 'online'));
    expect(await page.locator('[data-testid="eng-row"][data-kind="speaker"][data-online="true"]').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="eng-row"][data-kind="sensor"][data-online="true"]').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="eng-service"][data-status="ok"]').count()).toBeGreaterThanOrEqual(2);
    // The picture once the fleet has reported (coverage settles), as an engineer would see it on shift.
    await poll(() => page.getByTestId('coverage-control').getAttribute('data-verdict'), 30_000).toBe('ok');
    await screenshot(page, 'engineer-health');
  }, 90_000);

  it('shows the broker as control sees it, and what the broker refused from a speaker and a sensor, by reason', async () => {
    // Control's own link and the broker's own status: connected, a status seconds old, its clients.
    await poll(() => brokerItem().getAttribute('data-status')).toBe('ok');
    const line = (await brokerItem().getByTestId('eng-service-line').textContent()) ?? '';
    const m = /^ · connected, status (now|[\d.]+ s ago), (\d+) clients$/.exec(line);
    expect(m, line).not.toBeNull();
    // Control, the speakers and the sensors at least (the simulated drones speak MAVLink).
    const mqttDevices = stack.ops.presence.list().filter((d) => d.kind !== 'drone' && d.state === 'online').length;
    expect(Number(m![2])).toBeGreaterThan(mqttDevices);

    // A speaker and a sensor with broken firmware: the simulated devices step aside, and
    // their own credentials then send what the broker must refuse.
    const speakerId = stack.site.speakers[0]!.id;
    const sensorId = stack.site.checkpoints[0]!.sensors[0]!.id;
    const otherSensor = stack.site.checkpoints[1]!.sensors[0]!.id;
    await stack.fleet.speakers.get(speakerId)!.injectFault('offline');
    await stack.fleet.sensors.get(sensorId)!.injectFault('offline');
    try {
      const sp = await connectAs(stack.broker, speakerId);
      await sp.publishAsync(deviceTopic('speaker', speakerId, 'telemetry'), '{"tsMs": 1, state', { qos: 1 });
      await sp.publishAsync(deviceTopic('speaker', speakerId, 'telemetry'), JSON.stringify({ tsMs: Date.now(), state: 'idle', volumePct: 400 }), { qos: 1 });
      await sp.endAsync();
      const se = await connectAs(stack.broker, sensorId);
      const event = JSON.stringify({ id: 'forged-1', tsMs: Date.now(), type: 'perimeter_intrusion', severity: 'high', checkpointId: stack.site.checkpoints[1]!.id });
      await se.publishAsync(deviceTopic('sensor', otherSensor, 'event'), event, { qos: 1 });
      await se.publishAsync(deviceTopic('sensor', otherSensor, 'event'), event, { qos: 1 });
      await se.endAsync();
    } finally {
      await stack.fleet.speakers.get(speakerId)!.clearFaults();
      await stack.fleet.sensors.get(sensorId)!.clearFaults();
    }
    await poll(() => why(speakerId).textContent(), 20_000).toBe('↳ refused: not JSON 1, wrong fields 1');
    expect(await row(speakerId).getByTestId('eng-rejected').getAttribute('data-total')).toBe('2');
    await poll(() => why(sensorId).textContent(), 20_000).toBe('↳ refused: not permitted 2');
    expect(await row(sensorId).getByTestId('eng-rejected').getAttribute('data-total')).toBe('2');
    expect(await row(sensorId).getByTestId('eng-rejected').getAttribute('class')).toBe('bad');
    expect(await why(otherSensor).count()).toBe(0);
    // The sensor it tried to speak for is not blamed; the drones' MAVLink links refused nothing.
    expect(await row(otherSensor).getByTestId('eng-rejected').textContent()).toBe('0');
    expect(await row('drone-1').getByTestId('eng-rejected').textContent()).toBe('0');
    // Back on their own firmware, both are heard again.
    await poll(() => row(speakerId).getAttribute('data-online'), 20_000).toBe('true');
    await poll(() => row(sensorId).getAttribute('data-online'), 20_000).toBe('true');
    await row(sensorId).scrollIntoViewIfNeeded();
    await screenshot(page, 'engineer-refused');
  }, 90_000);

  it('injects a simulator fault from the panel and sees the device go offline', async () => {
    await page.getByTestId('eng-fault-device').selectOption('drone-6');
    await poll(() => page.locator('[data-testid="eng-fault-kind"] option').count()).toBeGreaterThan(5);
    await page.getByTestId('eng-fault-kind').selectOption('link_loss');
    await page.getByTestId('eng-fault-duration').fill('600');
    await page.getByTestId('eng-fault-inject').click();
    expect(await page.getByTestId('confirm-text').textContent()).toBe('Inject “link_loss” into the simulated drone-6?');
    await page.getByTestId('confirm-ok').click();
    await poll(() => page.getByTestId('eng-fault-result').getAttribute('data-ok')).toBe('true');
    await poll(() => row('drone-6').getAttribute('data-online'), 30_000).toBe('false');
    stack.fleet.drones.get('drone-6')!.clearFaults();
  }, 60_000);

  it('raises a simulated sensor event from the panel, and the alarm path answers', async () => {
    const before = stack.ops.alarms.list().length;
    await page.getByTestId('eng-event-sensor').selectOption('cp-2-panic');
    await poll(() => page.locator('[data-testid="eng-event-type"] option').count()).toBeGreaterThan(3);
    await page.getByTestId('eng-event-type').selectOption('panic_button');
    await page.getByTestId('eng-event-trigger').click();
    expect(await page.getByTestId('confirm-text').textContent()).toMatch(/^Raise a simulated “panic_button” at cp-2-panic\?/);
    await page.getByTestId('confirm-ok').click();
    await poll(() => page.getByTestId('eng-event-result').getAttribute('data-ok')).toBe('true');
    await poll(() => stack.ops.alarms.list().length, 20_000).toBeGreaterThan(before);
    expect(stack.ops.alarms.list().some((a) => a.source.kind === 'sensor' && a.source.deviceId === 'cp-2-panic')).toBe(true);
  }, 60_000);

  it('checks an uploaded site file and shows its errors by line', async () => {
    const good = readFileSync('sites/demo.yaml', 'utf8');
    // Break one field on a known line: a ring's response target as text.
    const lines = good.split('\n');
    const at = lines.findIndex((l) => /^\s+responseTargetS:/.test(l));
    expect(at).toBeGreaterThan(0);
    lines[at] = lines[at]!.replace(/responseTargetS:.*/, 'responseTargetS: soon');
    await page.getByTestId('eng-site-file').setInputFiles({ name: 'broken.yaml', mimeType: 'text/yaml', buffer: Buffer.from(lines.join('\n')) });
    await page.getByTestId('eng-validate').click();
    await poll(() => page.getByTestId('eng-validation').getAttribute('data-ok')).toBe('false');
    const issue = page.getByTestId('eng-issue').first();
    expect(await issue.getAttribute('data-line')).toBe(String(at + 1));
    expect(await issue.textContent()).toMatch(new RegExp(`^line ${at + 1} `));
    expect(await page.getByTestId('eng-validation-verdict').textContent()).toMatch(/^broken\.yaml: \d+ problem/);
    await screenshot(page, 'engineer-validation');

    await page.getByTestId('eng-site-file').setInputFiles({ name: 'demo.yaml', mimeType: 'text/yaml', buffer: Buffer.from(good) });
    await page.getByTestId('eng-validate').click();
    await poll(() => page.getByTestId('eng-validation').getAttribute('data-ok')).toBe('true');
    expect(await page.getByTestId('eng-validation-verdict').textContent()).toBe('demo.yaml is valid');
  }, 60_000);
  it('is in Chinese for a Chinese console: headings, states and columns', async () => {
    await page.getByTestId('lang-switch').click();
    await poll(() => page.getByTestId('tab-engineer').textContent()).toBe('工程维护');
    const health = page.getByTestId('eng-health');
    await poll(() => health.locator('thead').textContent()).toBe('设备状态链路质量最近消息飞控 / 固件拒收');
    await poll(() => row('drone-1').textContent()).toMatch(/在线/);
    // The broker's line and the refusals by reason in Chinese too.
    await poll(() => brokerItem().getByTestId('eng-service-line').textContent()).toMatch(/^ · 已连接，状态 (刚刚|[\d.]+ 秒前)，\d+ 个客户端$/);
    await poll(() => why(stack.site.speakers[0]!.id).textContent()).toBe('↳ 拒收：非 JSON 1，字段不符 1');
    // No English words of ours in the table or the services (ids, autopilot and firmware
    // names are proper names; a device's own words are marked as evidence and left out).
    const ours = (testId: string) =>
      page.evaluate(`(() => { const el = document.querySelector('[data-testid="${testId}"]').cloneNode(true); el.querySelectorAll('[data-evidence]').forEach((e) => e.remove()); return el.textContent; })()`) as Promise<string>;
    const strip = (text: string) => text.replace(/ardupilot|px4|ringwatch-sim-[a-z]+\/[\w.-]+|[a-z0-9-]+-(anpr|perimeter|panic|crowd|spk)|sp-\d+|Heron|Egret|Kite|Osprey|\bMQTT\b|\bJSON\b/gi, '');
    const text = strip(await ours('eng-health'));
    expect(text).not.toMatch(/online|offline|never|\bnow\b|ago|Drones|Speakers|Sensors/);
    expect(text.match(/[A-Za-z]{2,}/g) ?? []).toEqual([]);
    expect(strip(await ours('eng-services')).match(/[A-Za-z]{2,}/g) ?? []).toEqual([]);
    expect(await page.getByTestId('eng-fault-inject').textContent()).toBe('注入故障');
    await page.getByTestId('lang-switch').click();
  }, 60_000);

  it('says when control has lost the broker, and when it is back', async () => {
    // Cut control's own connection and hold it down (mqtt.js would retry within a second).
    const client = stack.bus.client;
    client.options.reconnectPeriod = 0;
    client.stream.destroy();
    try {
      await poll(() => brokerItem().getAttribute('data-status'), 20_000).toBe('down');
      expect(await brokerItem().getByTestId('eng-service-line').textContent()).toMatch(/^ · control lost the broker (now|[\d.]+ s ago)$/);
      await brokerItem().scrollIntoViewIfNeeded();
      await screenshot(page, 'engineer-broker-lost');
    } finally {
      // Its own stores: what was in flight at the cut is sent again, as on an automatic reconnect.
      client.options.reconnectPeriod = 1000;
      client.reconnect({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore });
    }
    await poll(() => brokerItem().getAttribute('data-status'), 20_000).toBe('ok');
    expect(await brokerItem().textContent()).toMatch(/link back (now|[\d.]+ s ago): messages sent meanwhile may be missing/);
  }, 60_000);
});

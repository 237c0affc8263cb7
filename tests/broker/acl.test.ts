import { describe, expect, test } from 'vitest';
import { mayReadBrokerTopic } from '../../broker/acl.ts';
import { createAcl, patternCovers, type AclAction, type AclDenyReason, type Identity } from '../../broker/index.ts';
import { demoSite } from '../helpers/broker.ts';

const acl = createAcl(demoSite().site.devices);

const drone: Identity = { type: 'device', id: 'drone-2', deviceKind: 'drone' };
const speaker: Identity = { type: 'device', id: 'sp-1', deviceKind: 'speaker' };
const sensor: Identity = { type: 'device', id: 'cp-1-anpr', deviceKind: 'sensor' };
const control: Identity = { type: 'service', id: 'control' };
const telemetry: Identity = { type: 'service', id: 'telemetry' };
const web: Identity = { type: 'service', id: 'web' };

type Row = [who: Identity, action: AclAction, topic: string, expected: true | AclDenyReason];

const R = 'ringwatch/v1';
const rows: Row[] = [
  // Devices publish on their own telemetry/event/status/ack…
  [speaker, 'publish', `${R}/speaker/sp-1/telemetry`, true],
  [speaker, 'publish', `${R}/speaker/sp-1/event`, true],
  [speaker, 'publish', `${R}/speaker/sp-1/status`, true],
  [speaker, 'publish', `${R}/speaker/sp-1/ack`, true],
  [sensor, 'publish', `${R}/sensor/cp-1-anpr/event`, true],
  [drone, 'publish', `${R}/drone/drone-2/telemetry`, true],
  // …but never their own cmd, another device's topics, another kind, or anything else.
  [speaker, 'publish', `${R}/speaker/sp-1/cmd`, 'channel'],
  [speaker, 'publish', `${R}/speaker/sp-2/telemetry`, 'other_device'],
  [speaker, 'publish', `${R}/drone/sp-1/telemetry`, 'other_device'],
  [sensor, 'publish', `${R}/sensor/cp-2-anpr/event`, 'other_device'],
  [speaker, 'publish', `${R}/svc/ledger`, 'not_permitted'],
  [speaker, 'publish', 'elsewhere/topic', 'not_permitted'],
  [speaker, 'publish', `${R}/speaker/sp-1/telemetry/extra`, 'not_permitted'],
  [speaker, 'publish', `${R}/speaker/+/telemetry`, 'wildcard'],
  [speaker, 'publish', `${R}/speaker/sp-1/#`, 'wildcard'],
  [speaker, 'publish', '$SYS/broker/uptime', 'sys_topic'],
  // Devices subscribe to exactly their own cmd.
  [speaker, 'subscribe', `${R}/speaker/sp-1/cmd`, true],
  [drone, 'subscribe', `${R}/drone/drone-2/cmd`, true],
  [speaker, 'subscribe', `${R}/speaker/sp-2/cmd`, 'other_device'],
  [speaker, 'subscribe', `${R}/speaker/sp-1/telemetry`, 'channel'],
  [speaker, 'subscribe', `${R}/speaker/sp-1/+`, 'not_permitted'],
  [speaker, 'subscribe', `${R}/speaker/+/cmd`, 'not_permitted'],
  [speaker, 'subscribe', `${R}/#`, 'not_permitted'],
  [speaker, 'subscribe', '#', 'not_permitted'],
  [speaker, 'subscribe', '$SYS/#', 'sys_topic'],
  // control: gateway for MAVLink drones, issuer of commands, writer of service topics.
  [control, 'publish', `${R}/drone/drone-1/telemetry`, true],
  [control, 'publish', `${R}/drone/drone-8/status`, true],
  [control, 'publish', `${R}/drone/drone-3/event`, true],
  [control, 'publish', `${R}/drone/drone-3/cmd`, true],
  [control, 'publish', `${R}/speaker/sp-14/cmd`, true],
  [control, 'publish', `${R}/speaker/drone-1-spk/cmd`, true],
  [control, 'publish', `${R}/sensor/cp-1-anpr/cmd`, true],
  [control, 'publish', `${R}/svc/ledger`, true],
  [control, 'publish', `${R}/svc/audit`, true],
  [control, 'publish', `${R}/svc/alarms/active`, true],
  [control, 'publish', `${R}/drone/drone-3/ack`, 'channel'],
  [control, 'publish', `${R}/speaker/sp-1/telemetry`, 'channel'],
  [control, 'publish', `${R}/sensor/cp-1-anpr/event`, 'channel'],
  [control, 'publish', `${R}/drone/drone-99/telemetry`, 'unknown_device'],
  [control, 'publish', `${R}/speaker/drone-1/cmd`, 'unknown_device'],
  [control, 'publish', `${R}/svc/telemetry/health`, 'not_permitted'],
  [control, 'publish', `${R}/svc`, 'not_permitted'],
  [control, 'publish', 'elsewhere', 'not_permitted'],
  [control, 'publish', `${R}/svc/+`, 'wildcard'],
  [control, 'publish', '$SYS/x', 'sys_topic'],
  [control, 'subscribe', `${R}/#`, true],
  [control, 'subscribe', `${R}/+/+/ack`, true],
  [control, 'subscribe', `${R}/svc/#`, true],
  [control, 'subscribe', '#', 'not_permitted'],
  [control, 'subscribe', '$SYS/#', 'sys_topic'],
  // telemetry: reads everything under ringwatch/v1, writes only its own health.
  [telemetry, 'subscribe', `${R}/#`, true],
  [telemetry, 'subscribe', `${R}/drone/+/telemetry`, true],
  [telemetry, 'subscribe', '+/v1/#', 'not_permitted'],
  [telemetry, 'publish', `${R}/svc/telemetry/health`, true],
  [telemetry, 'publish', `${R}/svc/telemetry`, 'not_permitted'],
  [telemetry, 'publish', `${R}/svc/ledger`, 'not_permitted'],
  [telemetry, 'publish', `${R}/drone/drone-1/cmd`, 'not_permitted'],
  // web: watches device telemetry/status/event/ack and service topics; publishes nothing.
  [web, 'subscribe', `${R}/+/+/telemetry`, true],
  [web, 'subscribe', `${R}/drone/drone-1/status`, true],
  [web, 'subscribe', `${R}/+/+/event`, true],
  [web, 'subscribe', `${R}/+/+/ack`, true],
  [web, 'subscribe', `${R}/svc/#`, true],
  [web, 'subscribe', `${R}/svc/ledger`, true],
  [web, 'subscribe', `${R}/+/+/cmd`, 'not_permitted'],
  [web, 'subscribe', `${R}/+/+/+`, 'not_permitted'],
  [web, 'subscribe', `${R}/#`, 'not_permitted'],
  [web, 'publish', `${R}/speaker/sp-1/cmd`, 'not_permitted'],
  [web, 'publish', `${R}/svc/ledger`, 'not_permitted'],
  // The broker's own status: read by control only, published by nobody (the broker
  // publishes it itself, not as a client).
  [control, 'subscribe', `${R}/svc/broker/status`, true],
  [control, 'subscribe', `${R}/svc/broker/#`, true],
  [control, 'publish', `${R}/svc/broker/status`, 'not_permitted'],
  [control, 'publish', `${R}/svc/broker`, 'not_permitted'],
  [speaker, 'subscribe', `${R}/svc/broker/status`, 'not_permitted'],
  [sensor, 'subscribe', `${R}/svc/#`, 'not_permitted'],
  [drone, 'subscribe', `${R}/svc/broker/+`, 'not_permitted'],
  [speaker, 'publish', `${R}/svc/broker/status`, 'not_permitted'],
  [drone, 'publish', `${R}/svc/broker/status`, 'not_permitted'],
  [telemetry, 'subscribe', `${R}/svc/broker/status`, 'not_permitted'],
  [telemetry, 'subscribe', `${R}/svc/broker/#`, 'not_permitted'],
  [telemetry, 'publish', `${R}/svc/broker/status`, 'not_permitted'],
  [web, 'subscribe', `${R}/svc/broker/status`, 'not_permitted'],
  [web, 'subscribe', `${R}/svc/broker`, 'not_permitted'],
  [web, 'publish', `${R}/svc/broker/status`, 'not_permitted'],
];

describe('ACL', () => {
  test.each(rows)('%o %s %s → %s', (who, action, topic, expected) => {
    const d = acl(who, action, topic);
    if (expected === true) expect(d).toEqual({ allow: true });
    else expect(d).toMatchObject({ allow: false, reason: expected, message: expect.any(String) });
  });
});

describe('mayReadBrokerTopic', () => {
  // Wider filters (telemetry's ringwatch/v1/#, web's svc/#) are granted; delivery of the
  // broker's own topics through them is refused by this check in the broker's forward hook.
  test.each([
    [control, true],
    [telemetry, false],
    [web, false],
    [speaker, false],
    [drone, false],
    [undefined, false],
  ] as const)('%o → %s', (who, expected) => expect(mayReadBrokerTopic(who)).toBe(expected));
});

describe('patternCovers', () => {
  test.each([
    [['a', '#'], 'a', true],
    [['a', '#'], 'a/b/c', true],
    [['a', '+', 'c'], 'a/+/c', true],
    [['a', '+', 'c'], 'a/#', false],
    [['a', ['x', 'y']], 'a/x', true],
    [['a', ['x', 'y']], 'a/+', false],
    [['a', 'b'], 'a/b/c', false],
    [['a', 'b', 'c'], 'a/b', false],
  ] as const)('%o covers %s = %s', (pattern, filter, expected) => {
    expect(patternCovers(pattern, filter.split('/'))).toBe(expected);
  });
});

import type { Site } from '../../site/load.ts';
import type { DeviceKind } from '../../protocol/topics.ts';
import type { Clock } from '../timeouts.ts';

export interface DevicePresence {
  id: string;
  kind: DeviceKind;
  state: 'online' | 'offline' | 'unknown';
  /** When the state last changed or the device was last heard. */
  sinceMs?: number;
  lastSeenMs?: number;
  reason?: string;
  firmware?: string;
}

/**
 * Which devices are up, from their retained `status` messages (and the will the broker
 * publishes when one drops) and from any traffic they send. Pure: fed by the operations
 * layer's MQTT subscriptions.
 */
export class PresenceBook {
  private readonly devices = new Map<string, DevicePresence>();

  constructor(
    site: Site,
    private readonly clock: Clock,
  ) {
    for (const [id, d] of site.devices) this.devices.set(id, { id, kind: d.kind, state: 'unknown' });
  }

  status(id: string, s: { state: 'online' | 'offline'; reason?: string; firmware?: string }): DevicePresence | undefined {
    const d = this.devices.get(id);
    if (!d) return undefined;
    const now = this.clock.nowMs();
    if (d.state !== s.state) d.sinceMs = now;
    d.state = s.state;
    d.lastSeenMs = now;
    if (s.reason !== undefined) d.reason = s.reason;
    else delete d.reason;
    if (s.firmware !== undefined) d.firmware = s.firmware;
    return d;
  }

  seen(id: string): void {
    const d = this.devices.get(id);
    if (d) d.lastSeenMs = this.clock.nowMs();
  }

  list(): DevicePresence[] {
    return [...this.devices.values()];
  }
}

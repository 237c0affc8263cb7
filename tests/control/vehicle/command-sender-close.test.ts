import { describe, expect, it } from 'vitest';
import { common } from 'node-mavlink';
import { CommandSender, type CommandTarget } from '../../../control/vehicle/command-sender.ts';
import { DEFAULT_TIMEOUTS } from '../../../control/timeouts.ts';

function target(): CommandTarget & { sent: number } {
  return {
    sent: 0,
    send() {
      this.sent++;
    },
    systemId: 1,
    componentId: 1,
    clock: { nowMs: () => Date.now() },
    statusTextsSince: () => [],
  };
}

describe('CommandSender after close', () => {
  it('cancels what is in flight and sends nothing later, so no retransmission timer outlives the service', async () => {
    const t = target();
    const sender = new CommandSender(t, { ...DEFAULT_TIMEOUTS, commandAckMs: 60_000 });
    const inFlight = sender.send({ command: common.MavCmd.COMPONENT_ARM_DISARM, params: [1, 0, 0, 0, 0, 0, 0] });
    expect(t.sent).toBe(1);
    sender.close('control service closing');
    await expect(inFlight).resolves.toMatchObject({ status: 'cancelled', message: 'control service closing' });
    // A caller retrying the cancelled command (as arming does) gets cancelled at once.
    await expect(sender.send({ command: common.MavCmd.COMPONENT_ARM_DISARM, params: [1, 0, 0, 0, 0, 0, 0] })).resolves.toMatchObject({ status: 'cancelled', attempts: 0 });
    expect(t.sent).toBe(1);
    expect(sender.inFlight).toBe(0);
  });
});

import type { common } from 'node-mavlink';
import type { Handler } from './index.ts';
import { runCommand } from './run-command.ts';

/**
 * COMMAND_LONG: positions arrive as float degrees in param5/6; param7's altitude
 * reference is the autopilot's (ArduPilot: above home; PX4: AMSL).
 */
export const handleCommandLong: Handler<common.CommandLong> = (v, peer, m) => {
  const alt = v.personality.commandLongAlt(m.command);
  if (typeof alt !== 'string') {
    v.withCommandTexts(() => v.commandAck(peer, m.command, alt.result));
    return;
  }
  runCommand(v, peer, {
    command: m.command,
    p: [m._param1, m._param2, m._param3, m._param4],
    latDeg: m._param5,
    lonDeg: m._param6,
    alt: m._param7,
    altFrame: alt,
    raw5: m._param5,
    raw6: m._param6,
  });
};

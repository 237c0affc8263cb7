import { common } from 'node-mavlink';
import type { Handler } from './index.ts';
import { runCommand } from './run-command.ts';

/** COMMAND_INT: x/y are degE7, z is in the message's frame (which the personality may refuse). */
export const handleCommandInt: Handler<common.CommandInt> = (v, peer, m) => {
  const alt = v.personality.commandIntAlt(m.command, m.frame);
  if (typeof alt !== 'string') {
    v.withCommandTexts(() => {
      if (alt.text) v.text(common.MavSeverity.ERROR, alt.text);
      v.commandAck(peer, m.command, alt.result);
    });
    return;
  }
  runCommand(v, peer, {
    command: m.command,
    p: [m._param1, m._param2, m._param3, m._param4],
    latDeg: m._param5 / 1e7,
    lonDeg: m._param6 / 1e7,
    alt: m._param7,
    altFrame: alt,
    raw5: m._param5,
    raw6: m._param6,
  });
};

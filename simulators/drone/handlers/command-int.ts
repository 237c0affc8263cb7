import { common } from 'node-mavlink';
import type { Handler } from './index.ts';
import { runCommand, type AltFrame } from './run-command.ts';

const F = common.MavFrame;

/** COMMAND_INT: x/y are degE7, z is in the message's frame. */
export const handleCommandInt: Handler<common.CommandInt> = (v, peer, m) => {
  runCommand(v, peer, {
    command: m.command,
    p: [m._param1, m._param2, m._param3, m._param4],
    latDeg: m._param5 / 1e7,
    lonDeg: m._param6 / 1e7,
    alt: m._param7,
    altFrame: altFrame(m.frame),
    raw5: m._param5,
    raw6: m._param6,
  });
};

export function altFrame(frame: number): AltFrame {
  if (frame === F.GLOBAL || frame === F.GLOBAL_INT) return 'amsl';
  return 'relative'; // GLOBAL_RELATIVE_ALT(_INT); terrain frames over our flat terrain
}

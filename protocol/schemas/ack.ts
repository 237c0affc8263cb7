import { Type, type Static } from '@sinclair/typebox';
import { MessageId, TimestampMs } from './common.ts';

/**
 * Every command is answered on the device's `ack` channel with the command's id.
 * A device may send several acks for one command as it progresses:
 * accepted → (playing | in_progress)* → finished | succeeded | failed | preempted | stopped,
 * or a single `rejected`.
 */
export const ACK_STATES = [
  'accepted',
  'rejected',
  'in_progress',
  'playing',
  'succeeded',
  'finished',
  'failed',
  'preempted',
  'stopped',
] as const;
export type AckState = (typeof ACK_STATES)[number];

export const TERMINAL_ACK_STATES: ReadonlySet<AckState> = new Set([
  'rejected',
  'succeeded',
  'finished',
  'failed',
  'preempted',
  'stopped',
]);

export const AckPayload = Type.Object(
  {
    id: MessageId,
    tsMs: TimestampMs,
    state: Type.Union(ACK_STATES.map((s) => Type.Literal(s))),
    reason: Type.Optional(Type.String({ maxLength: 200 })),
    progressPct: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
  },
  { additionalProperties: false },
);
export type AckPayload = Static<typeof AckPayload>;

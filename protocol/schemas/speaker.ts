import { Type, type Static } from '@sinclair/typebox';
import { LatDeg, LonDeg, MessageId, Severity, TimestampMs } from './common.ts';

export const SpeakerTelemetry = Type.Object(
  {
    tsMs: TimestampMs,
    state: Type.Union([Type.Literal('idle'), Type.Literal('playing'), Type.Literal('fault')]),
    volumePct: Type.Number({ minimum: 0, maximum: 100 }),
    /** Command id of what is playing, if anything. */
    playingId: Type.Optional(MessageId),
    /** Drone-mounted speakers report where they are; fixed ones may omit it. */
    latDeg: Type.Optional(LatDeg),
    lonDeg: Type.Optional(LonDeg),
    amplifierTempC: Type.Optional(Type.Number({ minimum: -60, maximum: 150 })),
  },
  { additionalProperties: false },
);
export type SpeakerTelemetry = Static<typeof SpeakerTelemetry>;

export const SpeakerEvent = Type.Object(
  {
    id: MessageId,
    tsMs: TimestampMs,
    type: Type.Union([Type.Literal('fault'), Type.Literal('fault_cleared'), Type.Literal('tamper')]),
    severity: Severity,
    text: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type SpeakerEvent = Static<typeof SpeakerEvent>;

const CmdBase = { id: MessageId, tsMs: TimestampMs, issuer: Type.String({ minLength: 1, maxLength: 64 }) };

export const SpeakerSource = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('tts'),
      text: Type.String({ minLength: 1, maxLength: 500 }),
      lang: Type.Union([Type.Literal('zh-CN'), Type.Literal('en')]),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { kind: Type.Literal('clip'), clipId: Type.String({ minLength: 1, maxLength: 64 }), text: Type.Optional(Type.String({ maxLength: 500 })) },
    { additionalProperties: false },
  ),
]);
export type SpeakerSource = Static<typeof SpeakerSource>;

export const SpeakerCommand = Type.Union([
  Type.Object(
    {
      ...CmdBase,
      action: Type.Literal('play'),
      source: SpeakerSource,
      volumePct: Type.Number({ minimum: 0, maximum: 100 }),
      loop: Type.Boolean(),
      /** Higher preempts lower; equal priority does not preempt. 0..100. */
      priority: Type.Integer({ minimum: 0, maximum: 100 }),
      /** A speaker ignores a play command that arrives after this time. */
      expiresAtMs: Type.Optional(TimestampMs),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      ...CmdBase,
      action: Type.Literal('stop'),
      /** Stop only this playback; without it, stop whatever is playing. */
      targetId: Type.Optional(MessageId),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { ...CmdBase, action: Type.Literal('set_volume'), volumePct: Type.Number({ minimum: 0, maximum: 100 }) },
    { additionalProperties: false },
  ),
]);
export type SpeakerCommand = Static<typeof SpeakerCommand>;

import { checkPayload, type AckPayload, type SpeakerCommand, type SpeakerEvent } from '../../protocol/index.ts';
import { DeviceConnection, readableId } from '../fleet/mqtt-device.ts';
import { SpeakerPlayback, type Clip } from './playback.ts';
import type { WavRenderer } from './tts-wav.ts';

export const SPEAKER_FIRMWARE = 'ringwatch-sim-speaker/1.0';

/**
 * Faults a loudspeaker can be given at runtime:
 * - `fail_next_play`: the next play is accepted, then fails;
 * - `amplifier_fault`: a `fault` event, state `fault`, every play fails until cleared;
 * - `silent`: the device stays connected but never acks (a hung controller);
 * - `offline`: the connection drops without DISCONNECT, so the broker sends the will.
 */
export const SPEAKER_FAULTS = ['fail_next_play', 'amplifier_fault', 'silent', 'offline'] as const;
export type SpeakerFault = (typeof SPEAKER_FAULTS)[number];

export interface SimSpeakerOptions {
  id: string;
  mqttUrl: string;
  secret: string;
  speed?: number;
  clips: ReadonlyMap<string, Clip>;
  /** Where the speaker is now: the site position, or its drone's live position. */
  position(): { latDeg: number; lonDeg: number } | undefined;
  /** Simulated seconds between telemetry reports (default 10). */
  telemetryIntervalS?: number;
  wav?: WavRenderer;
  connectTimeoutMs?: number;
}

export interface SimSpeakerHandle {
  readonly id: string;
  readonly playback: SpeakerPlayback;
  readonly connection: DeviceConnection;
  readonly counters: { commands: number; unparseable: number; ignoredSilent: number };
  /** Feeds a raw `cmd` payload as if it had arrived over MQTT (brokers that do not validate, tests). */
  handleRaw(payload: Buffer): void;
  injectFault(fault: SpeakerFault): Promise<void>;
  clearFaults(): Promise<void>;
  faults(): SpeakerFault[];
  close(): Promise<void>;
}

/** Starts one simulated loudspeaker on the broker; resolves once it is online. */
export async function startSimSpeaker(opts: SimSpeakerOptions): Promise<SimSpeakerHandle> {
  const speed = opts.speed ?? 1;
  let eventSeq = 0;
  const boot = Date.now().toString(36);
  const adapterFaults = new Set<'silent' | 'offline'>();
  const counters = { commands: 0, unparseable: 0, ignoredSilent: 0 };
  let deadline: NodeJS.Timeout | undefined;
  let closed = false;

  // eslint-disable-next-line prefer-const -- assigned after the playback that refers to it
  let connection: DeviceConnection;
  const publishTelemetry = () => {
    const t = playback.telemetry();
    const p = opts.position();
    if (p) {
      t.latDeg = p.latDeg;
      t.lonDeg = p.lonDeg;
    }
    connection.publish('telemetry', t);
  };
  const sendAck = (a: AckPayload) => {
    if (adapterFaults.has('silent')) return;
    connection.publish('ack', a, { qos: 1 });
  };
  const playback: SpeakerPlayback = new SpeakerPlayback(
    { nowMs: Date.now, speed, clips: opts.clips, nextEventId: () => `${opts.id}:${boot}:${++eventSeq}` },
    {
      ack: sendAck,
      event: (ev: SpeakerEvent) => connection.publish('event', ev, { qos: 1 }),
      changed: () => {
        publishTelemetry();
        armDeadline();
      },
      spoke: opts.wav ? (text, lang, vol) => opts.wav!.render(opts.id, playback.playingId ?? 'unknown', text, lang, vol) : undefined,
    },
  );
  // One timer for the next progress mark or the end of the announcement.
  const armDeadline = () => {
    if (deadline) clearTimeout(deadline);
    deadline = undefined;
    const at = playback.nextDeadlineMs();
    if (at === undefined || closed) return;
    deadline = setTimeout(() => {
      deadline = undefined;
      playback.tick();
      armDeadline();
    }, Math.max(0, at - Date.now()));
  };

  const onCommand = (buf: Buffer) => {
    counters.commands++;
    if (adapterFaults.has('silent')) {
      counters.ignoredSilent++;
      return;
    }
    const check = checkPayload<SpeakerCommand>('speaker', 'cmd', buf);
    if (check.ok) {
      playback.handle(check.value);
      armDeadline();
      return;
    }
    // Answer a schema failure by id when the id itself is readable; otherwise there is
    // nobody to answer, so count it and move on.
    const id = check.reason === 'schema' ? readableId(buf) : undefined;
    if (id) playback.reject(id, check.message);
    else counters.unparseable++;
  };

  connection = new DeviceConnection({
    mqttUrl: opts.mqttUrl,
    kind: 'speaker',
    id: opts.id,
    secret: opts.secret,
    firmware: SPEAKER_FIRMWARE,
    onCommand,
    onOnline: () => publishTelemetry(),
    connectTimeoutMs: opts.connectTimeoutMs,
  });
  await connection.connect();
  const telemetryTimer = setInterval(publishTelemetry, Math.max(50, ((opts.telemetryIntervalS ?? 10) * 1000) / speed));
  telemetryTimer.unref();

  return {
    id: opts.id,
    playback,
    connection,
    counters,
    handleRaw: onCommand,
    async injectFault(fault) {
      if (fault === 'fail_next_play' || fault === 'amplifier_fault') return playback.injectFault(fault);
      adapterFaults.add(fault);
      if (fault === 'offline') await connection.dropUngracefully();
    },
    async clearFaults() {
      playback.clearFaults();
      const wasOffline = adapterFaults.delete('offline');
      adapterFaults.clear();
      if (wasOffline && !closed) await connection.restore();
    },
    faults: () => [...playback.activeFaults, ...adapterFaults],
    async close() {
      closed = true;
      clearInterval(telemetryTimer);
      if (deadline) clearTimeout(deadline);
      await connection.close();
    },
  };
}

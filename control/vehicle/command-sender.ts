import { common, type MavLinkData } from 'node-mavlink';
import type { Clock, ControlTimeouts } from '../timeouts.ts';
import { pickRefusalReason, type TimedText } from './refusal-reason.ts';
import { mapMavResult, type CommandResult } from './result.ts';

/** A MAV_CMD with its seven parameters; `int` sends COMMAND_INT in that frame. */
export interface CommandSpec {
  command: number;
  params: [number, number, number, number, number, number, number];
  /** COMMAND_INT with this MAV_FRAME (params 5/6 are then degE7 integers). */
  int?: { frame: number };
}

/** Hooks the ledger uses to learn what the *device* said, when it said it. */
export interface CommandHooks {
  signal?: AbortSignal;
  /** First transmission written to the link. */
  onSent?(): void;
  /** COMMAND_ACK IN_PROGRESS (with progress % when the vehicle gives one). */
  onProgress?(progressPct: number | undefined): void;
  /** The vehicle accepted, and the action goes on to check the outcome (a take-off's climb). */
  onAccepted?(): void;
  /** Still trying after a transient refusal, or waiting for the outcome: the current reason. */
  onWaiting?(reason: string): void;
  /** On the way to an outcome (a go-to): how far along, metres left and the ETA at the speed really flown. */
  onOutcomeProgress?(p: { progressPct: number; distanceLeftM: number; etaS?: number }): void;
}

interface Pending {
  spec: CommandSpec;
  sentAtMs: number;
  attempts: number;
  /** Removed when the command ends: an arm retried for 40 s reuses one signal for every try. */
  onAbort: () => void;
  inProgress: boolean;
  timer: NodeJS.Timeout | undefined;
  hooks: CommandHooks;
  resolve(r: CommandResult): void;
}

export interface CommandTarget {
  send(msg: MavLinkData): void;
  readonly systemId: number;
  readonly componentId: number;
  readonly clock: Clock;
  /** The autopilot's STATUSTEXTs received at or after `tsMs`, oldest first. */
  statusTextsSince(tsMs: number): TimedText[];
}

/** A refused command waiting for the STATUSTEXT that explains it. */
interface ReasonWait {
  command: number;
  sentAtMs: number;
  result: CommandResult;
  timer: NodeJS.Timeout;
  resolve(r: CommandResult): void;
}

/**
 * COMMAND_LONG / COMMAND_INT with the MAVLink command protocol's retransmission:
 * resend after `commandAckMs` up to `commandRetries` times, COMMAND_LONG's confirmation
 * incremented each time; after IN_PROGRESS stop resending and wait for the final ack.
 * One command of each MAV_CMD in flight per vehicle, since acks carry only the command id.
 */
export class CommandSender {
  private readonly pending = new Map<number, Pending>();
  private readonly reasonWaits = new Set<ReasonWait>();
  /** Set by close(): nothing is sent any more, so no retry timer outlives the service. */
  private closedWith: string | undefined;

  constructor(
    private readonly target: CommandTarget,
    private readonly timeouts: ControlTimeouts,
  ) {}

  send(spec: CommandSpec, hooks: CommandHooks = {}): Promise<CommandResult> {
    // A caller that retries a cancelled command (arming, outcome polls) would otherwise
    // arm a fresh retransmission timer after shutdown and hold the process open for it.
    if (this.closedWith !== undefined) return Promise.resolve({ status: 'cancelled', message: this.closedWith, attempts: 0 });
    if (this.pending.has(spec.command)) {
      return Promise.resolve({ status: 'busy', message: `MAV_CMD ${spec.command} already in flight`, attempts: 0 });
    }
    if (hooks.signal?.aborted) return Promise.resolve({ status: 'cancelled', attempts: 0 });
    return new Promise<CommandResult>((resolve) => {
      const p: Pending = {
        spec,
        sentAtMs: this.target.clock.nowMs(),
        attempts: 0,
        inProgress: false,
        timer: undefined,
        hooks,
        resolve,
        onAbort: () => {
          if (this.pending.get(spec.command) === p) this.finish(spec.command, { status: 'cancelled', message: 'cancelled by request' });
        },
      };
      this.pending.set(spec.command, p);
      hooks.signal?.addEventListener('abort', p.onAbort, { once: true });
      this.transmit(p);
      hooks.onSent?.();
    });
  }

  private transmit(p: Pending): void {
    const { spec } = p;
    let msg: MavLinkData;
    if (spec.int) {
      const m = new common.CommandInt();
      m.frame = spec.int.frame;
      m.current = 0;
      m.autocontinue = 0;
      [m._param1, m._param2, m._param3, m._param4, m._param5, m._param6, m._param7] = spec.params;
      m.targetSystem = this.target.systemId;
      m.targetComponent = this.target.componentId;
      m.command = spec.command;
      msg = m;
    } else {
      const m = new common.CommandLong();
      [m._param1, m._param2, m._param3, m._param4, m._param5, m._param6, m._param7] = spec.params;
      m.targetSystem = this.target.systemId;
      m.targetComponent = this.target.componentId;
      m.command = spec.command;
      m.confirmation = Math.min(p.attempts, 255);
      msg = m;
    }
    p.attempts++;
    this.target.send(msg);
    this.arm(p, this.timeouts.commandAckMs);
  }

  private arm(p: Pending, ms: number): void {
    if (p.timer) clearTimeout(p.timer);
    p.timer = setTimeout(() => this.onTimeout(p), ms);
  }

  private onTimeout(p: Pending): void {
    if (this.pending.get(p.spec.command) !== p) return;
    if (p.inProgress) return this.finish(p.spec.command, { status: 'timeout', message: 'no final ack after IN_PROGRESS' });
    if (p.attempts > this.timeouts.commandRetries) {
      return this.finish(p.spec.command, { status: 'timeout', message: `no COMMAND_ACK after ${p.attempts} sends` });
    }
    this.transmit(p);
  }

  /** COMMAND_ACK from the vehicle (router → handlers/command-ack.ts). */
  onAck(ack: common.CommandAck): void {
    const p = this.pending.get(ack.command);
    if (!p) return;
    const status = mapMavResult(ack.result);
    if (status === 'in_progress') {
      p.inProgress = true;
      // MAVLink: progress 255 means "unknown".
      p.hooks.onProgress?.(ack.progress <= 100 ? ack.progress : undefined);
      this.arm(p, this.timeouts.commandInProgressMs);
      return;
    }
    const result: CommandResult = { status, mavResult: ack.result };
    if (status === 'success') return this.finish(ack.command, result);
    this.awaitReason(p, { ...result, attempts: p.attempts });
  }

  /**
   * The refusal's reason follows the ack (ArduPilot: ms later; PX4: ~880 ms later): take a
   * matching STATUSTEXT as soon as one arrives, else the best one when `commandReasonMs`
   * ends. The command itself is over, so a resend of it is not blocked meanwhile.
   */
  private awaitReason(p: Pending, result: CommandResult): void {
    this.pending.delete(p.spec.command);
    if (p.timer) clearTimeout(p.timer);
    p.hooks.signal?.removeEventListener('abort', p.onAbort);
    const done = (w: ReasonWait) => {
      clearTimeout(w.timer);
      this.reasonWaits.delete(w);
      const reason = pickRefusalReason(w.command, w.sentAtMs, this.target.statusTextsSince(w.sentAtMs));
      w.resolve(reason ? { ...w.result, message: reason.text } : w.result);
    };
    const w: ReasonWait = {
      command: p.spec.command,
      sentAtMs: p.sentAtMs,
      result,
      resolve: p.resolve,
      timer: setTimeout(() => done(w), this.timeouts.commandReasonMs),
    };
    this.reasonWaits.add(w);
    if (pickRefusalReason(w.command, w.sentAtMs, this.target.statusTextsSince(w.sentAtMs))?.matches) done(w);
  }

  /** A STATUSTEXT arrived (the vehicle calls this): it may be the reason a refusal awaits. */
  onStatusText(): void {
    for (const w of [...this.reasonWaits]) {
      const reason = pickRefusalReason(w.command, w.sentAtMs, this.target.statusTextsSince(w.sentAtMs));
      if (reason?.matches) {
        clearTimeout(w.timer);
        this.reasonWaits.delete(w);
        w.resolve({ ...w.result, message: reason.text });
      }
    }
  }

  /** The link went quiet: every command in flight ends as link_lost. */
  failAll(status: 'link_lost' | 'cancelled', message: string): void {
    for (const cmd of [...this.pending.keys()]) this.finish(cmd, { status, message });
    // Refusals already answered keep their answer; only the wait for a reason ends.
    for (const w of [...this.reasonWaits]) {
      clearTimeout(w.timer);
      this.reasonWaits.delete(w);
      w.resolve(w.result);
    }
  }

  /** Cancels what is in flight and refuses every later send as cancelled. */
  close(message: string): void {
    this.closedWith = message;
    this.failAll('cancelled', message);
  }

  get inFlight(): number {
    return this.pending.size;
  }

  private finish(command: number, r: CommandResult): void {
    const p = this.pending.get(command);
    if (!p) return;
    this.pending.delete(command);
    if (p.timer) clearTimeout(p.timer);
    p.hooks.signal?.removeEventListener('abort', p.onAbort);
    p.resolve({ ...r, attempts: p.attempts });
  }
}

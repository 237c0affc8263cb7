import type { Ledger } from '../ledger/ledger.ts';
import type { LedgerRecord } from '../ledger/machine.ts';
import type { CommandHooks } from '../vehicle/command-sender.ts';
import type { PlanItem, MissionType } from '../vehicle/plan-item.ts';
import type { CommandResult } from '../vehicle/result.ts';
import type { Vehicle } from '../vehicle/vehicle.ts';
import { settleCommand, settleTransfer } from './settle.ts';

/** What runs a drone request: the vehicle's capabilities, nothing of its link or state. */
export type CommandableVehicle = Pick<Vehicle, 'action' | 'mission' | 'geofence' | 'rally'>;

/** Everything a client may ask of a MAVLink drone (the ledger's `kind` is `action`). */
export type DroneRequest =
  | { action: 'arm' }
  | { action: 'disarm'; force?: boolean }
  | { action: 'takeoff'; altitudeRelM: number }
  | { action: 'land' }
  | { action: 'rtl' }
  | { action: 'hold' }
  /** Old name of `hold`, kept for API clients: never ArduCopter's LOITER (it needs a pilot). */
  | { action: 'loiter' }
  | { action: 'goto'; latDeg: number; lonDeg: number; altitudeRelM: number; speedMps?: number }
  | { action: 'orbit'; latDeg: number; lonDeg: number; altitudeRelM: number; radiusM: number; velocityMps?: number }
  | { action: 'set_mode'; mode: string }
  | { action: 'set_speed'; speedMps: number }
  | { action: 'mission_start' }
  /** Turns the uploaded geofence on (DO_FENCE_ENABLE; PX4 applies an uploaded one by itself). */
  | { action: 'fence_enable' }
  | { action: 'plan_upload'; missionType: MissionType; items: PlanItem[] };

export interface IssuedCommand {
  id: string;
  /** Resolves when the record reaches a terminal state. */
  done: Promise<LedgerRecord>;
}

/**
 * Runs drone requests through the ledger: the record opens `queued`, becomes `sent` when
 * the first frame is written, and moves on only from what the vehicle answers.
 */
export class DroneCommands {
  constructor(
    private readonly ledger: Ledger,
    private readonly vehicles: ReadonlyMap<string, CommandableVehicle>,
  ) {}

  issue(droneId: string, req: DroneRequest, issuer: string, id?: string): IssuedCommand {
    const abort = new AbortController();
    const { items, ...rest } = req as DroneRequest & { items?: PlanItem[] };
    const payload: Record<string, unknown> = { ...rest };
    if (items) payload['itemCount'] = items.length;
    const rec = this.ledger.open(
      { id, issuer, target: { kind: 'drone', id: droneId }, kind: req.action, via: 'mavlink', payload },
      () => abort.abort(),
    );
    const done = this.ledger.settled(rec.id);
    const v = this.vehicles.get(droneId);
    if (!v) {
      settleCommand(this.ledger, rec.id, { status: 'no_vehicle', message: `no MAVLink drone "${droneId}"` });
      return { id: rec.id, done };
    }
    const hooks: CommandHooks = {
      signal: abort.signal,
      onSent: () => this.ledger.move(rec.id, 'sent'),
      onProgress: (pct) => {
        if (this.ledger.get(rec.id)?.state === 'sent') this.ledger.move(rec.id, 'acked', { detail: 'IN_PROGRESS' });
        this.ledger.move(rec.id, 'in_progress', pct === undefined ? {} : { progressPct: pct });
      },
      onAccepted: () => {
        if (this.ledger.get(rec.id)?.state === 'sent') this.ledger.move(rec.id, 'acked', { detail: 'accepted; checking the outcome' });
      },
      onWaiting: (reason) => this.ledger.note(rec.id, reason),
      // Under way to the outcome (a go-to): distance left and ETA on the record.
      onOutcomeProgress: (p) => {
        if (this.ledger.get(rec.id)?.state === 'sent') this.ledger.move(rec.id, 'acked', { detail: 'accepted; checking the outcome' });
        this.ledger.move(rec.id, 'in_progress', p);
      },
    };
    if (req.action === 'plan_upload') {
      const api = req.missionType === 'mission' ? v.mission : req.missionType === 'fence' ? v.geofence : v.rally;
      void api
        .upload(req.items, { signal: abort.signal, onSent: hooks.onSent, onAcked: () => this.ledger.move(rec.id, 'acked', { detail: 'MISSION_ACK accepted' }) })
        .then((r) => settleTransfer(this.ledger, rec.id, r.status, r.message));
    } else {
      void this.run(v, req, hooks).then((r) => settleCommand(this.ledger, rec.id, r));
    }
    return { id: rec.id, done };
  }

  private run(v: CommandableVehicle, req: Exclude<DroneRequest, { action: 'plan_upload' }>, hooks: CommandHooks): Promise<CommandResult> {
    const a = v.action;
    switch (req.action) {
      case 'arm':
        return a.arm(hooks);
      case 'disarm':
        return a.disarm({ ...hooks, force: req.force });
      case 'takeoff':
        return a.takeoff(req.altitudeRelM, hooks);
      case 'land':
        return a.land(hooks);
      case 'rtl':
        return a.rtl(hooks);
      case 'hold':
      case 'loiter':
        return a.hold(hooks);
      case 'goto':
        return a.goto({ latDeg: req.latDeg, lonDeg: req.lonDeg, altRelM: req.altitudeRelM, speedMps: req.speedMps }, hooks);
      case 'orbit':
        return a.orbit(
          { latDeg: req.latDeg, lonDeg: req.lonDeg, altRelM: req.altitudeRelM, radiusM: req.radiusM, velocityMps: req.velocityMps },
          hooks,
        );
      case 'set_mode':
        return a.setMode(req.mode, hooks);
      case 'set_speed':
        return a.setSpeed(req.speedMps, hooks);
      case 'mission_start':
        return a.startMission(hooks);
      case 'fence_enable':
        return a.enableFence(hooks);
    }
  }
}

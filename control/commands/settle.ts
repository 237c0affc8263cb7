import type { Ledger } from '../ledger/ledger.ts';
import type { CommandResult, TransferStatus } from '../vehicle/result.ts';

/**
 * CommandResult → ledger state, in one place. Success passes through `acked` (the
 * device's ack) unless the record already saw IN_PROGRESS; every refusal is `failed`
 * with the vehicle's reason; only our own give-up is `timed_out`.
 */
export function settleCommand(ledger: Ledger, id: string, r: CommandResult): void {
  const detail = r.message ? `${r.status}: ${r.message}` : r.status;
  switch (r.status) {
    case 'success':
      // Nothing had to go to the vehicle (PX4 applies an uploaded fence by itself): say so
      // rather than leave the record queued for ever; it never shows a device ack.
      if (ledger.get(id)?.state === 'queued') ledger.move(id, 'sent', { detail: 'nothing to send to the vehicle' });
      else if (ledger.get(id)?.state === 'sent') ledger.move(id, 'acked', { detail: 'accepted' });
      ledger.move(id, 'succeeded', {
        detail: r.message ?? 'accepted',
        ...(r.commandedSpeedMps !== undefined ? { result: { commandedSpeedMps: r.commandedSpeedMps } } : {}),
      });
      return;
    case 'timeout':
      ledger.move(id, 'timed_out', { detail });
      return;
    case 'cancelled':
      ledger.move(id, 'cancelled', { detail });
      return;
    case 'in_progress':
      ledger.move(id, 'in_progress', { detail });
      return;
    case 'denied':
    case 'temporarily_rejected':
    case 'unsupported':
    case 'failed':
    case 'link_lost':
    case 'busy':
    case 'no_vehicle':
      ledger.move(id, 'failed', { detail });
      return;
  }
}

/** The same for a mission-protocol transfer (upload + read-back). */
export function settleTransfer(ledger: Ledger, id: string, status: TransferStatus, message?: string): void {
  const detail = message ? `${status}: ${message}` : status;
  if (status === 'success') {
    if (ledger.get(id)?.state === 'sent') ledger.move(id, 'acked', { detail: 'MISSION_ACK accepted' });
    ledger.move(id, 'succeeded', { detail: 'read back and verified' });
  } else if (status === 'ack_timeout' || status === 'item_timeout') ledger.move(id, 'timed_out', { detail });
  else if (status === 'cancelled') ledger.move(id, 'cancelled', { detail });
  else ledger.move(id, 'failed', { detail });
}

import { overallHealth, type PartStatus } from '../../control/observability/health.ts';
import type { PeerPart } from './peer-messages.ts';

/** What the metrics thread got from its peers for one /health request (undefined: no answer within the deadline). */
export interface HealthAnswers {
  /** Main's parts (broker, control, telemetry, as main judges them). */
  main: Record<string, PeerPart> | undefined;
  /** Seconds since main last answered anything (a request or the liveness ping). */
  mainSilentS: number;
  /** The broker thread's parts (telemetry, which runs there). */
  broker: Record<string, PeerPart> | undefined;
  /** With `--mqtt URL`: the broker is someone else's and judged by control's link to it. */
  externalBroker: boolean;
}

export interface AssembledHealth {
  status: PartStatus;
  reasons: string[];
  services: Record<string, PeerPart>;
}

/**
 * The stack's /health from the metrics thread. Main's own verdict is the whole story when
 * main answers (it sees the broker thread's restarts and control's links). When it does
 * not, control is `degraded` — its links and the broker may be fine, we cannot tell — and
 * the broker and telemetry are judged by whether the broker thread itself answered; no
 * figure of main's is repeated from an earlier answer.
 */
export function assembleHealth(a: HealthAnswers): AssembledHealth {
  let services: Record<string, PeerPart>;
  if (a.main) services = a.main;
  else {
    const control: PeerPart = { status: 'degraded', reasons: [`control (main thread) not answering for ${Math.round(a.mainSilentS)} s`] };
    const brokerAnswered = a.broker !== undefined;
    const broker: PeerPart = a.externalBroker
      ? { status: 'degraded', reasons: ["judged by control's link to it, and control is not answering"], external: true }
      : brokerAnswered
        ? { status: 'ok', reasons: [], external: false }
        : { status: 'degraded', reasons: ['the broker thread is not answering either (restarting or stuck)'], external: false };
    const telemetry: PeerPart = a.broker?.['telemetry'] ?? { status: 'degraded', reasons: ['telemetry runs in the broker thread, which is not answering'] };
    services = { broker, control, telemetry };
  }
  return { ...overallHealth(services), services };
}

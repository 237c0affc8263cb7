import type { MessagePort } from 'node:worker_threads';

/** The metrics thread's start: where to listen and how long a peer may take. */
export interface MetricsThreadConfig {
  /** 127.0.0.1:port; 0 picks a free one. */
  port: number;
  /** A peer that does not answer within this long is reported as not answering. */
  answerMs: number;
  /** How often main is pinged, so /health can say for how long it has been silent. */
  pingEveryMs: number;
  /** With `--mqtt URL` the broker is judged by control's link (main's), not by the broker thread. */
  externalBroker: boolean;
  logLevel: string;
}

/** workerData: the config and main's end of its peer channel (transferred). */
export interface MetricsThreadData {
  config: MetricsThreadConfig;
  mainPort: MessagePort;
  /** The broker thread's peer port, when it runs at start. */
  brokerPort?: MessagePort;
}

/** Main to the metrics thread: a restarted broker thread's new peer port (transferred). */
export type ToMetricsThread = { kind: 'broker-port'; port: MessagePort };

export type FromMetricsThread = { kind: 'ready'; metricsUrl: string; healthUrl: string } | { kind: 'start-failed'; message: string };

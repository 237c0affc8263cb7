import type { DroneLayer } from './drone-layer.ts';
import type { LiveStore } from './live-store.ts';

/** Numbers the map benchmark reads from the page (`window.__rwBench`); costs nothing unless enabled. */
export interface BenchProbe {
  enabled: boolean;
  /** Device publish → marker drawn, ms (publish time is the telemetry's tsMs). */
  latencyMs: number[];
  /** Device publish → batch received by the browser (broker, hub flush, SSE), ms. */
  deliveryMs: number[];
  /** Batch received → marker drawn (parse, wait for the frame, apply, draw), ms. */
  browserMs: number[];
  drawMs: number[];
  frames: number;
}

declare global {
  interface Window {
    __rwBench?: BenchProbe;
    __rw?: { drone(id: string): unknown; screenOf(id: string): { x: number; y: number } | undefined; frames(): number; beeps(): number; alarm(id: string): unknown; ledger(id: string): unknown; droneLabel(id: string): string | undefined; mapLatLngAt(x: number, y: number): { latDeg: number; lonDeg: number } };
  }
}

export function droneLayerBench(store: LiveStore, layer: DroneLayer): void {
  const probe: BenchProbe = { enabled: new URLSearchParams(location.search).has('bench'), latencyMs: [], deliveryMs: [], browserMs: [], drawMs: [], frames: 0 };
  window.__rwBench = probe;
  if (!probe.enabled) return;
  let applied: { tsMs: number; receivedMs: number }[] = [];
  store.onTelemetryApplied = (_id, tsMs, receivedMs) => {
    applied.push({ tsMs, receivedMs });
    probe.deliveryMs.push(receivedMs - tsMs);
  };
  // Runs after the map's own listener (subscribed earlier), i.e. after the canvas was drawn.
  store.subscribe((changed) => {
    if (!changed.has('drones')) return;
    const now = Date.now();
    for (const a of applied) {
      probe.latencyMs.push(now - a.tsMs);
      probe.browserMs.push(now - a.receivedMs);
    }
    applied = [];
    probe.drawMs.push(layer.lastDrawMs);
    probe.frames++;
  });
}

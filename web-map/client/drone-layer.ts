import L from 'leaflet';
import type { DroneState } from './live-store.ts';
import type { Point } from './types.ts';

/** Beyond this many drones labels and trails are drawn only for the selected one (text and long paths are the costly part). */
export const LABEL_LIMIT = 150;
/** Click tolerance around a drone glyph, px. */
const HIT_PX = 12;

/**
 * All drones and their trails on one canvas over the map, redrawn whole on each frame
 * that changed something: 1,000 DOM markers would each cost a style recalculation per
 * update, one canvas costs one pass. The canvas sits on the map container (not in a
 * transformed pane), so a pan or zoom is simply another redraw.
 */
export class DroneLayer {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private drones: DroneState[] = [];
  selectedId: string | undefined;
  showTrails = true;
  names = new Map<string, string>();
  /** Each drone's open command in words ("Go to · under way · 230 m · 0:40"), drawn under its label. */
  activity = new Map<string, string>();
  /** The label lines drawn last, per drone: what the user reads on the canvas (tests, field debugging). */
  readonly drawnLabels = new Map<string, string>();
  /** Duration of the last draw, ms (the bench reads it). */
  lastDrawMs = 0;
  private screen: { id: string; x: number; y: number }[] = [];

  constructor(
    private readonly map: L.Map,
    private readonly toMap: (p: Point) => Point,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'drone-canvas';
    this.canvas.dataset['testid'] = 'drone-canvas';
    map.getContainer().appendChild(this.canvas);
    this.ctx = this.canvas.getContext('2d')!;
    map.on('move zoom resize viewreset', () => this.draw());
    this.resize();
    map.on('resize', () => this.resize());
  }

  private resize(): void {
    const s = this.map.getSize();
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = s.x * dpr;
    this.canvas.height = s.y * dpr;
    this.canvas.style.width = `${s.x}px`;
    this.canvas.style.height = `${s.y}px`;
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.draw();
  }

  setDrones(list: DroneState[]): void {
    this.drones = list;
    this.draw();
  }

  /** The drone under a container point, if any. */
  hit(p: L.Point): string | undefined {
    let best: string | undefined;
    let bestD = HIT_PX * HIT_PX;
    for (const s of this.screen) {
      const d = (s.x - p.x) ** 2 + (s.y - p.y) ** 2;
      if (d <= bestD) {
        bestD = d;
        best = s.id;
      }
    }
    return best;
  }

  draw(): void {
    const t0 = performance.now();
    const { ctx, map } = this;
    const size = map.getSize();
    ctx.clearRect(0, 0, size.x, size.y);
    const pt = (p: Point) => map.latLngToContainerPoint(L.latLng(this.toMap(p).latDeg, this.toMap(p).lonDeg));
    if (this.showTrails) {
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = 'rgba(21,101,192,0.45)';
      ctx.beginPath();
      const all = this.drones.length <= LABEL_LIMIT;
      for (const d of this.drones) {
        if (d.trail.length < 2 || (!all && d.id !== this.selectedId)) continue;
        d.trail.forEach((q, i) => {
          const s = pt(q);
          if (i === 0) ctx.moveTo(s.x, s.y);
          else ctx.lineTo(s.x, s.y);
        });
      }
      ctx.stroke();
    }
    const labels = this.drones.length <= LABEL_LIMIT;
    this.screen = [];
    this.drawnLabels.clear();
    ctx.font = '11px system-ui, sans-serif';
    // Drones on one dock would print their labels over each other: move a label down
    // until it is clear of the ones already drawn (a few tries; labels are few).
    const boxes: { x: number; y: number; w: number }[] = [];
    const place = (x: number, y: number, w: number) => {
      let yy = y;
      for (let i = 0; i < 4 && boxes.some((b) => Math.abs(b.y - yy) < 12 && x < b.x + b.w && b.x < x + w); i++) yy += 13;
      boxes.push({ x, y: yy, w });
      return yy;
    };
    for (const d of this.drones) {
      const t = d.telemetry;
      if (!t) continue;
      const s = pt(t);
      if (s.x < -20 || s.y < -20 || s.x > size.x + 20 || s.y > size.y + 20) continue;
      this.screen.push({ id: d.id, x: s.x, y: s.y });
      const lost = d.link !== 'ok';
      const fill = lost ? '#9e9e9e' : t.batteryPct < 25 ? '#ef6c00' : t.armed ? '#1565c0' : '#455a64';
      ctx.save();
      ctx.translate(s.x, s.y);
      ctx.rotate((t.headingDeg * Math.PI) / 180);
      ctx.beginPath();
      ctx.moveTo(0, -9);
      ctx.lineTo(6, 7);
      ctx.lineTo(0, 4);
      ctx.lineTo(-6, 7);
      ctx.closePath();
      ctx.fillStyle = fill;
      ctx.fill();
      ctx.lineWidth = d.id === this.selectedId ? 3 : 1.5;
      ctx.strokeStyle = d.id === this.selectedId ? '#ffd600' : lost ? '#d50000' : '#fff';
      ctx.stroke();
      ctx.restore();
      if (labels || d.id === this.selectedId) {
        const text = `${this.names.get(d.id) ?? d.id} ${Math.round(t.batteryPct)}% ${t.mode} ${Math.round(t.altRelM)} m ${t.groundSpeedMps.toFixed(1)} m/s${lost ? ' ⚠' : ''}`;
        const doing = this.activity.get(d.id);
        const y = place(s.x + 10, s.y + 4, ctx.measureText(text).width);
        ctx.lineWidth = 3;
        ctx.strokeStyle = 'rgba(255,255,255,0.9)';
        ctx.strokeText(text, s.x + 10, y);
        ctx.fillStyle = lost ? '#b71c1c' : '#102027';
        ctx.fillText(text, s.x + 10, y);
        if (doing) {
          const y2 = place(s.x + 10, y + 13, ctx.measureText(doing).width);
          ctx.strokeText(doing, s.x + 10, y2);
          ctx.fillStyle = '#0d47a1';
          ctx.fillText(doing, s.x + 10, y2);
        }
        this.drawnLabels.set(d.id, doing ? `${text}\n${doing}` : text);
      }
    }
    this.lastDrawMs = performance.now() - t0;
  }
}

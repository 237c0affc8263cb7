/**
 * Layer switches on the map: each overlay lives in a holder group that stays while its
 * contents are redrawn, so a switch survives live updates. The choice is remembered per
 * browser. Drones and trails are on one canvas: hidden by class and by the layer's flag.
 */
import L from 'leaflet';
import type { T } from './context.ts';
import { fill, h } from './dom.ts';
import type { DroneLayer } from './drone-layer.ts';

export const LAYER_KEYS = ['rings', 'checkpoints', 'alarms', 'patrol', 'coverage', 'drones', 'trails'] as const;
export type LayerKey = (typeof LAYER_KEYS)[number];
const STORE_KEY = 'rw.layers';

export interface LayerSwitch {
  readonly holders: Record<Exclude<LayerKey, 'drones' | 'trails'>, L.LayerGroup>;
  render(t: T): void;
  /** Replay mode: the live layers (drones, alarms, patrols, coverage) off the map, the user's own choices kept for after. */
  replay(on: boolean): void;
}

/** What replay takes off the map: everything that shows the present. */
const LIVE_LAYERS: readonly LayerKey[] = ['alarms', 'patrol', 'coverage', 'drones', 'trails'];

export function layerSwitch(map: L.Map, drones: DroneLayer, t: T): LayerSwitch {
  let hidden = new Set<LayerKey>();
  try {
    hidden = new Set((JSON.parse(localStorage.getItem(STORE_KEY) ?? '[]') as LayerKey[]).filter((k) => LAYER_KEYS.includes(k)));
  } catch {
    // a damaged setting shows everything
  }
  const holders = { rings: L.layerGroup(), checkpoints: L.layerGroup(), alarms: L.layerGroup(), patrol: L.layerGroup(), coverage: L.layerGroup() };
  const box = h('div', { class: 'layer-box leaflet-bar', 'data-testid': 'layer-switch' });
  L.DomEvent.disableClickPropagation(box);
  let open = false;
  let replaying = false;
  const off = (k: LayerKey) => hidden.has(k) || (replaying && LIVE_LAYERS.includes(k));
  const apply = () => {
    for (const [k, g] of Object.entries(holders)) {
      if (off(k as LayerKey)) g.remove();
      else if (!map.hasLayer(g)) g.addTo(map);
    }
    drones.canvas.hidden = off('drones');
    drones.showTrails = !off('trails');
    drones.draw();
    localStorage.setItem(STORE_KEY, JSON.stringify([...hidden]));
  };
  const KEYS: Record<LayerKey, Parameters<T>[0]> = { rings: 'layer.rings', checkpoints: 'layer.checkpoints', alarms: 'layer.alarms', patrol: 'layer.patrol', coverage: 'layer.coverage', drones: 'layer.drones', trails: 'layer.trails' };
  let lastT = t;
  const render = (tt: T) => {
    lastT = tt;
    fill(
      box,
      h('button', { class: 'link', 'data-testid': 'layers-toggle', onclick: () => ((open = !open), render(lastT)) }, tt('layer.title'), open ? ' ▾' : ' ▸'),
      open
        ? h(
            'div',
            {},
            ...LAYER_KEYS.map((k) =>
              h('label', {}, h('input', { type: 'checkbox', checked: !hidden.has(k), 'data-testid': `layer-${k}`, onchange: (e) => ((e.target as HTMLInputElement).checked ? hidden.delete(k) : hidden.add(k), apply()) }), ' ', tt(KEYS[k])),
            ),
          )
        : null,
    );
  };
  const Control = L.Control.extend({ onAdd: () => box });
  new (Control as unknown as new (o: L.ControlOptions) => L.Control)({ position: 'topright' }).addTo(map);
  render(t);
  apply();
  return {
    holders,
    render,
    replay(on) {
      replaying = on;
      map.getContainer().classList.toggle('replaying', on);
      apply();
    },
  };
}

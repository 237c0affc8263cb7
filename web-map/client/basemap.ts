import L from 'leaflet';

/** What the server tells the console about tiles (GET /config.json). */
export interface TileConfig {
  /** XYZ template, e.g. `/tiles/{z}/{x}/{y}` (local folder or MBTiles) or a remote server; absent = none. */
  url?: string;
  attribution?: string;
  maxZoom?: number;
  datum: 'wgs84' | 'gcj02';
}

/** How long the console waits for a first tile before falling back to the plain grid. */
export const TILE_PROBE_TIMEOUT_MS = 4000;

/**
 * A basemap that needs no network: a light background with a grid drawn per tile on a
 * canvas. Always present under the real basemap, so features are never on a void.
 */
export function gridLayer(): L.GridLayer {
  const Grid = L.GridLayer.extend({
    createTile(coords: L.Coords) {
      const size = (this as L.GridLayer).getTileSize();
      const tile = document.createElement('canvas');
      tile.width = size.x;
      tile.height = size.y;
      const ctx = tile.getContext('2d')!;
      ctx.fillStyle = '#eef0ec';
      ctx.fillRect(0, 0, size.x, size.y);
      ctx.strokeStyle = 'rgba(90,100,110,0.25)';
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (let i = 0; i <= 4; i++) {
        const p = (i * size.x) / 4 + 0.5;
        ctx.moveTo(p, 0);
        ctx.lineTo(p, size.y);
        ctx.moveTo(0, p);
        ctx.lineTo(size.x, p);
      }
      ctx.stroke();
      ctx.strokeStyle = 'rgba(90,100,110,0.5)';
      ctx.strokeRect(0.5, 0.5, size.x - 1, size.y - 1);
      void coords;
      return tile;
    },
  });
  return new (Grid as unknown as new (o: L.GridLayerOptions) => L.GridLayer)({ pane: 'tilePane', zIndex: 0 });
}

function sampleTileUrl(template: string, center: L.LatLng, zoom: number): string {
  const z = Math.round(zoom);
  const n = 2 ** z;
  const x = Math.floor(((center.lng + 180) / 360) * n);
  const latRad = (center.lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(latRad) + 1 / Math.cos(latRad)) / Math.PI) / 2) * n);
  return template.replace('{z}', String(z)).replace('{x}', String(x)).replace('{y}', String(y)).replace('{s}', 'a');
}

/**
 * Adds the configured basemap only once one tile near the centre actually loads within
 * the probe timeout; otherwise the grid stays and `onOffline` is called (only when a
 * source was configured and failed). Tiles that fail
 * later are left blank by Leaflet and never block drawing.
 */
export async function addBasemap(map: L.Map, cfg: TileConfig, onOffline: () => void): Promise<L.TileLayer | undefined> {
  gridLayer().addTo(map);
  // No tile source configured is a choice, not a failure: no "unreachable" banner then.
  if (!cfg.url) return undefined;
  const ok = await new Promise<boolean>((resolve) => {
    const img = new Image();
    const timer = setTimeout(() => {
      img.src = '';
      resolve(false);
    }, TILE_PROBE_TIMEOUT_MS);
    img.onload = () => (clearTimeout(timer), resolve(true));
    img.onerror = () => (clearTimeout(timer), resolve(false));
    img.src = sampleTileUrl(cfg.url!, map.getCenter(), map.getZoom());
  });
  if (!ok) {
    onOffline();
    return undefined;
  }
  return L.tileLayer(cfg.url, { maxZoom: cfg.maxZoom ?? 19, attribution: cfg.attribution ?? '', zIndex: 1 }).addTo(map);
}

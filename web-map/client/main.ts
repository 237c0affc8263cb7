import L from 'leaflet';
import { Api, ApiFailure } from './api.ts';
import { attention } from './attention.ts';
import { beepsPlayed } from './beep.ts';
import { coveragePanel } from './coverage-panel.ts';
import { showLogin as loginForm } from './login.ts';
import { addBasemap, type TileConfig } from './basemap.ts';
import { chiefPanel } from './chief-panel.ts';
import type { Ctx } from './context.ts';
import { fill, h } from './dom.ts';
import type { Shape } from './types.ts';
import { DroneLayer } from './drone-layer.ts';
import { droneLayerBench } from './bench-hook.ts';
import { droneActivity } from './drone-activity.ts';
import { datumProjection } from './gcj02.ts';
import { addVectorBasemap, type VectorBasemap } from './vector-basemap.ts';
import { layerSwitch } from './layer-switch.ts';
import { historyPanel } from './history.ts';
import { pickLang, translator, type Lang } from './i18n.ts';
import { dronePanel } from './drone-panel.ts';
import { engineerPanel } from './engineer-panel.ts';
import { LiveStore } from './live-store.ts';
import { startLive } from './live-client.ts';
import { opsPanel } from './ops-panel.ts';
import { liveOverlays } from './overlays.ts';
import { measureTool } from './measure-tool.ts';
import { geoJsonLayer, siteStatic } from './site-layers.ts';
import type { Alarm, DroneTelemetry, LiveEvent, PatrolStates, Point, RingCoverage, SiteView, User, Warning } from './types.ts';

const LANG_KEY = 'rw.lang';
const api = new Api();
let lang: Lang = (localStorage.getItem(LANG_KEY) as Lang | null) ?? pickLang(navigator.languages ?? [navigator.language]);
let t = translator(lang);
const root = document.getElementById('app')!;

function setLang(l: Lang): void {
  lang = l;
  t = translator(l);
  localStorage.setItem(LANG_KEY, l);
  document.documentElement.lang = l;
}

async function boot(): Promise<void> {
  document.documentElement.lang = lang;
  document.title = t('app.title');
  let user: User | undefined;
  try {
    user = await api.get<User>('/api/me');
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 0) return void showLogin(t('err.unreachable'));
  }
  if (user) await startConsole(user);
  else showLogin();
}

function showLogin(notice?: string): void {
  document.title = t('app.title');
  api.signedIn = false;
  loginForm(root, api, t, { notice, onSignedIn: startConsole, onSwitchLang: () => (setLang(lang === 'en' ? 'zh-CN' : 'en'), showLogin(notice)) });
}

async function startConsole(user: User): Promise<void> {
  const [site, cfg] = await Promise.all([api.get<SiteView>('/api/site'), fetch('config.json').then((r) => r.json() as Promise<TileConfig>)]);
  const proj = datumProjection(cfg.datum);
  api.signedIn = true;
  const store = new LiveStore((cb) => requestAnimationFrame(cb));
  const mapEl = h('div', { id: 'map', 'data-testid': 'map' });
  const banners = h('div', { class: 'banners', 'data-testid': 'banners' });
  const side = h('aside', { class: 'side' });
  const top = h('header', { class: 'top' });
  const hint = h('div', { class: 'pick-hint', hidden: true, 'data-testid': 'pick-hint' });
  const toasts = h('div', { class: 'toasts', 'data-testid': 'toasts' });
  const alertSlot = h('div', { class: 'alert-slot' });
  const alertBanner = h('div', {});
  fill(root, top, alertBanner, banners, alertSlot, h('main', {}, mapEl, side), hint, toasts);

  // The default view holds the whole outermost ring (the area the station answers for),
  // and keeps holding it while the layout settles (panel, banners), until anything else
  // moves the map: the user, or "show on map".
  const home = boundsOf(site.rings[site.rings.length - 1]?.shape ?? site.core.shape, proj.toMap);
  const map = L.map(mapEl, { preferCanvas: true, zoomControl: true, attributionControl: true, zoomSnap: 0.25 });
  let atHome = true;
  let refitting = false;
  const fitHome = () => {
    refitting = true;
    map.fitBounds(home, { padding: [4, 4], animate: false });
    refitting = false;
  };
  fitHome();
  map.on('movestart', () => {
    if (!refitting) atHome = false;
  });
  L.control.scale({ metric: true, imperial: false }).addTo(map);
  // Banners come and go above the map: Leaflet must learn its new size, or "centre on"
  // lands off-centre and clicks map to the wrong point.
  new ResizeObserver(() => {
    map.invalidateSize({ pan: false });
    if (atHome) fitHome();
  }).observe(mapEl);
  const flags = { server: 'connecting' as 'ok' | 'connecting' | 'down', tiles: true, influx: true };
  const renderBanners = () =>
    fill(
      banners,
      flags.server === 'down' ? h('div', { class: 'banner bad', 'data-testid': 'banner-server' }, t('conn.down')) : null,
      flags.tiles ? null : h('div', { class: 'banner', 'data-testid': 'banner-tiles' }, t('tiles.offline')),
      flags.influx ? null : h('div', { class: 'banner', 'data-testid': 'banner-influx' }, t('influx.down')),
    );
  // The site's own vector basemap when no tiles are drawn: none configured, or the configured source failed.
  let vectorBase: VectorBasemap | undefined;
  const drawVectorBase = () => void addVectorBasemap(map, site.site.id, proj.toMap, lang).then((v) => (vectorBase = v), () => undefined);
  if (!cfg.url) drawVectorBase();
  void addBasemap(map, cfg, () => ((flags.tiles = false), renderBanners(), drawVectorBase()));

  const drones = new DroneLayer(map, proj.toMap);
  for (const d of site.drones) drones.names.set(d.id, d.name);
  const layers = layerSwitch(map, drones, t);
  let staticLayer = siteStatic(site, proj.toMap, t).addTo(layers.holders.rings);
  let previewLayer: L.GeoJSON | undefined;
  const overlays = liveOverlays({ store, site, toMap: proj.toMap, holders: layers.holders, t: () => ctx.t, onCoverage: () => coverage?.render() });

  let pickFn: ((p: { latDeg: number; lonDeg: number }) => void) | undefined;
  let pickCancel: (() => void) | undefined;
  let pickKeep = false;
  const ctx: Ctx = {
    api,
    store,
    map,
    drones,
    site,
    user,
    lang,
    t,
    toMap: proj.toMap,
    fromMap: proj.fromMap,
    pick(text, onPoint, keep = false, onCancel) {
      ctx.cancelPick();
      pickFn = onPoint;
      pickCancel = onCancel;
      pickKeep = keep;
      hint.hidden = false;
      hint.textContent = text;
      mapEl.classList.add('picking');
    },
    cancelPick() {
      const cancelled = pickCancel;
      pickCancel = undefined;
      pickFn = undefined;
      cancelled?.();
      hint.hidden = true;
      mapEl.classList.remove('picking');
    },
    selectDrone(id) {
      drones.selectedId = id;
      drones.draw();
      showTab('drones', id);
    },
    toast(message, kind = 'info') {
      const el = h('div', { class: `toast ${kind}`, 'data-testid': kind === 'error' ? 'toast-error' : 'toast' }, message);
      toasts.append(el);
      setTimeout(() => el.remove(), kind === 'error' ? 12_000 : 5000);
    },
    redrawOverlays() {
      overlays.drawAlarms();
      overlays.drawDevices();
    },
    setReplay(on) {
      layers.replay(on);
    },
    setPreviewGeoJson(gj) {
      previewLayer?.remove();
      previewLayer = gj ? geoJsonLayer(gj, proj.toMap, { color: '#7b1fa2', weight: 3, dashArray: '8 6' }).addTo(map) : undefined;
    },
  };
  const attn = attention(ctx, (n) => (document.title = n ? `(${n}) ${ctx.t('app.title')}` : ctx.t('app.title')));
  fill(alertBanner, attn.bannerEl);
  fill(alertSlot, attn.listEl);
  const coverage = coveragePanel(ctx);
  const measure = measureTool(ctx);
  map.on('click', (e: L.LeafletMouseEvent) => {
    const wgs = proj.fromMap({ latDeg: e.latlng.lat, lonDeg: e.latlng.lng });
    if (pickFn) {
      const fn = pickFn;
      if (!pickKeep) {
        pickCancel = undefined; // picked, not cancelled
        ctx.cancelPick();
      }
      fn(wgs);
      return;
    }
    const id = drones.hit(e.containerPoint);
    if (id) ctx.selectDrone(id);
  });
  document.addEventListener('keydown', (e) => e.key === 'Escape' && ctx.cancelPick());

  // Tabs and the top bar; rebuilt whole on a language switch.
  type Tab = 'drones' | 'ops' | 'broadcast' | 'engineer' | 'history';
  // An engineer gets their own console first, not the operator's with every button greyed out.
  const isEngineer = user.role === 'engineer';
  let tab: Tab = isEngineer ? 'engineer' : 'drones';
  let panel: { el: HTMLElement; dispose(): void } | undefined;
  let selected: string | undefined;
  const panelBox = h('div', { class: 'panel-box' });
  const tabBar = h('nav', { class: 'tabs' });
  function showTab(next: Tab, sel = selected): void {
    tab = next;
    selected = sel;
    panel?.dispose();
    ctx.cancelPick();
    panel =
      next === 'drones'
        ? dronePanel(ctx, selected)
        : next === 'ops'
          ? opsPanel(ctx)
          : next === 'broadcast'
            ? chiefPanel(ctx)
            : next === 'engineer'
              ? engineerPanel(ctx, () => store.services, (fn) => store.subscribe((c) => c.has('services') && fn()))
              : historyPanel(ctx);
    fill(panelBox, panel.el);
    renderChrome();
  }
  const conn = h('span', { class: 'conn', 'data-testid': 'conn' });
  function renderChrome(): void {
    const tabs: [Tab, string][] = isEngineer
      ? [['engineer', t('tab.engineer')], ['drones', t('tab.drones')], ['history', t('tab.history')]]
      : [['drones', t('tab.drones')], ['ops', t('tab.ops')], ['broadcast', t('tab.broadcast')], ['history', t('tab.history')]];
    fill(tabBar, ...tabs.map(([id, label]) => h('button', { class: id === tab ? 'active' : '', 'data-testid': `tab-${id}`, onclick: () => showTab(id) }, label)));
    conn.textContent = t(flags.server === 'ok' ? 'conn.ok' : flags.server === 'down' ? 'conn.down' : 'conn.connecting');
    conn.className = `conn conn-${flags.server}`;
    conn.dataset['state'] = flags.server;
    fill(
      top,
      h('b', {}, t('app.title')),
      h('span', { class: 'site' }, site.site.name),
      conn,
      h('span', { class: 'grow' }),
      ...attn.headerItems(),
      h('span', { 'data-testid': 'whoami', 'data-role': user.role }, `${user.displayName} · ${t(`role.${user.role}`)}`),
      h('button', { class: 'link', 'data-testid': 'lang-switch', onclick: () => switchLang() }, t('lang.switch')),
      h('button', { class: 'link', 'data-testid': 'logout', onclick: () => void logout() }, t('logout')),
    );
    renderBanners();
  }
  function switchLang(): void {
    setLang(lang === 'en' ? 'zh-CN' : 'en');
    ctx.t = t;
    ctx.lang = lang;
    layers.holders.rings.removeLayer(staticLayer);
    staticLayer = siteStatic(site, proj.toMap, t).addTo(layers.holders.rings);
    layers.render(t);
    vectorBase?.setLang(lang);
    overlays.drawAlarms();
    coverage.render();
    measure.render();
    attn.render();
    showTab(tab);
  }
  async function logout(): Promise<void> {
    api.signedIn = false;
    live.close();
    await api.post('/api/logout').catch(() => undefined);
    api.token = undefined;
    location.reload();
  }
  fill(side, tabBar, panelBox);

  // Each drone's command outcome on its label; results fade after a while, so recheck now and then.
  const refreshActivity = () => {
    drones.activity = droneActivity(store.ledger.values(), ctx.t, Date.now());
    drones.draw();
  };
  const activityTimer = setInterval(() => drones.activity.size && refreshActivity(), 5000);
  store.subscribe((changed) => {
    if (changed.has('ledger')) refreshActivity();
    if (changed.has('drones')) drones.setDrones(store.droneList());
    if (changed.has('alarms')) overlays.drawAlarms();
    if (changed.has('sensors') || changed.has('speakers')) overlays.drawDevices();
    if (changed.has('patrol')) overlays.drawPatrol();
    if (changed.has('coverage')) overlays.drawCoverage();
  });
  droneLayerBench(store, drones);
  overlays.drawDevices();
  // A read-only view for end-to-end tests and field debugging from the browser console.
  window.__rw = {
    drone: (id: string) => store.drones.get(id),
    screenOf: (id: string) => {
      const t = store.drones.get(id)?.telemetry;
      if (!t) return undefined;
      const q = proj.toMap(t);
      const p = map.latLngToContainerPoint([q.latDeg, q.lonDeg]);
      const r = mapEl.getBoundingClientRect();
      return { x: r.left + p.x, y: r.top + p.y };
    },
    frames: () => store.frames,
    beeps: () => beepsPlayed(),
    alarm: (id: string) => store.alarms.get(id),
    ledger: (id: string) => store.ledger.get(id),
    droneLabel: (id: string) => drones.drawnLabels.get(id),
    mapLatLngAt: (x: number, y: number) => {
      const r = mapEl.getBoundingClientRect();
      const ll = map.containerPointToLatLng([x - r.left, y - r.top]);
      return { latDeg: ll.lat, lonDeg: ll.lng };
    },
  };

  // Initial state, then live. Each source is optional: a server without a route still shows the rest.
  for (const d of site.drones) store.drones.set(d.id, { id: d.id, link: 'never', trail: [] });
  const initial = async () => {
    const [ds, alarms, patrol, coverage, warnings] = await Promise.all([
      api.optional<{ id: string; link: 'ok' | 'lost' | 'never'; telemetry?: unknown }[]>('/api/drones').catch(() => undefined),
      api.optional<Alarm[]>('/api/alarms?state=open').catch(() => undefined),
      api.optional<PatrolStates>('/api/patrols').catch(() => undefined),
      api.optional<RingCoverage[]>('/api/coverage').catch(() => undefined),
      api.optional<Warning[]>('/api/warnings').catch(() => undefined),
    ]);
    const evs: LiveEvent[] = [];
    for (const d of ds ?? []) {
      if (d.telemetry) evs.push({ type: 'telemetry_snapshot', data: { droneId: d.id, ...(d.telemetry as DroneTelemetry) } });
      if (d.link !== 'never') evs.push({ type: 'link', data: { droneId: d.id, state: d.link } });
    }
    for (const a of alarms ?? []) evs.push({ type: 'alarm', data: a });
    if (patrol !== undefined) evs.push({ type: 'patrol', data: patrol });
    if (coverage) evs.push({ type: 'coverage', data: coverage });
    if (warnings) evs.push({ type: 'warnings', data: warnings });
    store.applyNow(evs);
    drones.setDrones(store.droneList());
    await loadTrails();
  };
  // Trails from InfluxDB through the history API; its absence or failure is shown, not fatal.
  const loadTrails = async () => {
    if (site.drones.length > 50) return;
    const nowMs = Date.now();
    try {
      await Promise.all(
        site.drones.map(async (d) => {
          const res = await api.get<{ points: { tsMs: number; latDeg: number; lonDeg: number }[] }>(`/api/history/track/${encodeURIComponent(d.id)}?fromMs=${nowMs - 600_000}&toMs=${nowMs}&maxPoints=120`);
          const pts = res.points ?? [];
          const s = store.drones.get(d.id);
          if (s && pts.length) s.trail = [...pts.map((p) => ({ latDeg: p.latDeg, lonDeg: p.lonDeg, tsMs: p.tsMs })), ...s.trail].slice(-120);
        }),
      );
      flags.influx = true;
      drones.draw();
    } catch (err) {
      // 404: this server has no history routes (no telemetry service); anything else: the store is down.
      flags.influx = err instanceof ApiFailure && err.status === 404;
    }
    renderBanners();
  };
  const live = startLive(store, {
    onState(state) {
      // A stream refused because the session ended looks like an outage to EventSource: ask.
      if (state === 'down')
        void api.get('/api/me').catch((err) => {
          if (err instanceof ApiFailure && err.status === 401) endSession();
        });
      const wasDown = flags.server === 'down';
      flags.server = state;
      renderChrome();
      if (state === 'ok' && wasDown) void initial().catch(() => undefined);
    },
  });
  // The session ended on the server (expired, revoked): back to the sign-in, saying why,
  // instead of a console that still says "Live" while every command is refused.
  function endSession(): void {
    if (!api.signedIn) return;
    api.signedIn = false;
    live.close();
    attn.dispose();
    clearInterval(activityTimer);
    api.token = undefined;
    showLogin(t('session.expired'));
  }
  api.onSessionEnded = endSession;
  api.onReachability((ok) => {
    if (!ok && flags.server !== 'down') {
      flags.server = 'down';
      renderChrome();
    }
  });
  showTab(tab);
  await initial().catch((err) => ctx.toast(String(err), 'error'));
}

void boot();

/** Map bounds of a site shape, through the basemap datum. */
function boundsOf(shape: Shape, toMap: (p: Point) => Point): L.LatLngBounds {
  if (shape.type === 'circle') {
    const c = toMap(shape.center);
    const dLat = shape.radiusM / 111_320;
    const dLon = dLat / Math.cos((c.latDeg * Math.PI) / 180);
    return L.latLngBounds([c.latDeg - dLat, c.lonDeg - dLon], [c.latDeg + dLat, c.lonDeg + dLon]);
  }
  return L.latLngBounds(shape.points.map((p) => toMap(p)).map((q) => [q.latDeg, q.lonDeg] as [number, number]));
}

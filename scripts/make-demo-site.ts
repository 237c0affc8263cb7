/**
 * Generates sites/demo.yaml (hashes only) and sites/demo.secrets.yaml (the matching
 * plain demo secrets for simulators and local services). Rerun after changing the layout:
 *   node --import tsx scripts/make-demo-site.ts
 * The demo location is fictional: a district police station on the east shore of a
 * lakeside wetland park.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Document, isMap, isSeq, stringify, visit } from 'yaml';
import { generateSecret, hashDeviceSecret, hashPassword } from '../site/secrets.ts';
import { parseSite } from '../site/load.ts';

const C = { latDeg: 30.27, lonDeg: 120.065 };
/** Offsets in metres east/north of the station, converted to degrees at this latitude. */
const at = (eastM: number, northM: number) => ({
  latDeg: round(C.latDeg + northM / 111_320),
  lonDeg: round(C.lonDeg + eastM / (111_320 * Math.cos((C.latDeg * Math.PI) / 180))),
});
const round = (x: number) => Math.round(x * 1e6) / 1e6;

const devSecrets: Record<string, string> = {};
/** MAVLink 2 signing keys by key id (one per drone), 32 random bytes as hex; the site names only the id. */
const mavlinkKeys: Record<string, string> = {};
const devHashes: Record<string, string> = {};
const cred = (id: string) => {
  devSecrets[id] = generateSecret();
  devHashes[id] = hashDeviceSecret(devSecrets[id]!);
};

const drones = [
  ['drone-1', 'Heron 1', 0, 60],
  ['drone-2', 'Heron 2', 20, 60],
  ['drone-3', 'Egret 1', 1400, -900],
  ['drone-4', 'Egret 2', 1420, -900],
  ['drone-5', 'Kite 1', -1900, 1300],
  ['drone-6', 'Kite 2', -1880, 1300],
  ['drone-7', 'Osprey 1', 300, 2300],
  ['drone-8', 'Osprey 2', 320, 2300],
] as const;

const site = {
  version: 1,
  site: { id: 'lakeside', name: 'Lakeside District Police Station', timezone: 'Asia/Shanghai' },
  core: { name: 'Station compound', shape: { type: 'circle', center: at(0, 0), radiusM: 150 } },
  rings: [
    {
      id: 'containment',
      name: 'Containment ring',
      shape: { type: 'circle', center: at(0, 0), radiusM: 650 },
      responseTargetS: 60,
      altitudeBandM: { minRelM: 35, maxRelM: 50 },
      defaultWarning: 'warn-containment-zh',
    },
    {
      id: 'prevention',
      name: 'Prevention ring',
      // Follows the wetland shore on the west and the arterial road on the east.
      shape: {
        type: 'polygon',
        points: [at(-1700, 1500), at(0, 1900), at(1800, 1500), at(2000, 0), at(1600, -1500), at(0, -1800), at(-1500, -1400), at(-2000, 0)],
      },
      responseTargetS: 180,
      altitudeBandM: { minRelM: 55, maxRelM: 75 },
      defaultWarning: 'warn-prevention-zh',
    },
    {
      id: 'control',
      name: 'Control ring',
      shape: { type: 'circle', center: at(0, 0), radiusM: 3600 },
      responseTargetS: 300,
      altitudeBandM: { minRelM: 80, maxRelM: 110 },
      defaultWarning: 'warn-control-zh',
    },
  ],
  warnings: [
    { id: 'warn-containment-zh', title: '核心区警告', lang: 'zh-CN', text: '您已进入警戒核心区域，请立即停止并离开，警方正在处置。' },
    { id: 'warn-prevention-zh', title: '防控圈警告', lang: 'zh-CN', text: '请注意，您所在区域为公安防控区，请保持秩序，勿聚集滋事。' },
    { id: 'warn-control-zh', title: '管控圈提示', lang: 'zh-CN', text: '这里是公安巡逻管控区域，请遵守秩序，配合检查。' },
    { id: 'warn-dispute-zh', title: '纠纷劝阻', lang: 'zh-CN', text: '请双方保持冷静，停止争执，民警马上到场处理。' },
    { id: 'warn-containment-en', title: 'Core area warning', lang: 'en', text: 'You have entered a restricted core area. Stop and leave now. Police are responding.' },
    { id: 'warn-dispute-en', title: 'Dispute warning', lang: 'en', text: 'Please stay calm and step apart. Police officers are on their way.' },
  ],
  checkpoints: [
    ['cp-1', 'North gate', 0, 600, ['anpr_camera', 'perimeter']],
    ['cp-2', 'Station east entrance', 550, -100, ['anpr_camera', 'panic_button']],
    ['cp-3', 'Boardwalk south', -300, -1300, ['perimeter', 'crowd_counter']],
    ['cp-4', 'Wetland visitor centre', -1500, 500, ['crowd_counter', 'face_watchlist', 'panic_button']],
    ['cp-5', 'Lake road bridge', 1500, 900, ['anpr_camera']],
    ['cp-6', 'Metro exit B', 1700, -1200, ['crowd_counter', 'panic_button']],
    ['cp-7', 'Ring road toll', 3000, 800, ['anpr_camera', 'face_watchlist']],
    ['cp-8', 'Fishing pier', -2800, -900, ['perimeter']],
    ['cp-9', 'Night market', 600, -2900, ['crowd_counter', 'panic_button']],
  ].map(([id, name, e, n, types]) => ({
    id,
    name,
    position: at(e as number, n as number),
    sensors: (types as string[]).map((type) => {
      const sid = `${id}-${type.replace(/_/g, '-').replace('anpr-camera', 'anpr').replace('face-watchlist', 'face').replace('crowd-counter', 'crowd').replace('panic-button', 'panic')}`;
      cred(sid);
      return { id: sid, type };
    }),
  })),
  speakers: [
    ['sp-1', 'Station north mast', 0, 400],
    ['sp-2', 'Station south mast', 0, -450],
    ['sp-3', 'East plaza', 500, 100],
    ['sp-4', 'West lawn', -500, 50],
    ['sp-5', 'Boardwalk pavilion', -400, -1250],
    ['sp-6', 'Visitor centre', -1450, 550],
    ['sp-7', 'Bridge north', 1450, 950],
    ['sp-8', 'Metro exit B', 1650, -1150],
    ['sp-9', 'Reed beds lookout', -1100, 1200],
    ['sp-10', 'Lake road', 900, 1600],
    ['sp-11', 'Ring road toll', 3000, 700],
    ['sp-12', 'Fishing pier', -2750, -950],
    ['sp-13', 'Night market east', 700, -2850],
    ['sp-14', 'Night market west', 350, -2950],
  ].map(([id, name, e, n]) => {
    cred(id as string);
    return { id, name, position: at(e as number, n as number), audibleRangeM: 250 };
  }),
  drones: drones.map(([id, name, e, n], i) => {
    const withSpeaker = i % 2 === 0;
    const speakerId = `${id}-spk`;
    if (withSpeaker) cred(speakerId);
    mavlinkKeys[id] = randomBytes(32).toString('hex');
    return {
      id,
      name,
      // Each simulated vehicle is its own MAVLink endpoint, as a real fleet would be.
      // Signed, as a fielded drone should be: the simulators sign with the same keys.
      mavlink: { url: `udpout://127.0.0.1:${14561 + i}`, systemId: i + 1, autopilot: 'ardupilot', signing: { keyId: id } },
      dock: { ...at(e, n), altitudeAmslM: 12 },
      cruiseSpeedMps: 12,
      maxSpeedMps: 18,
      enduranceS: 1800,
      reservePct: 25,
      ...(withSpeaker ? { speaker: { id: speakerId, audibleRangeM: 120 } } : {}),
    };
  }),
  noFlyZones: [
    { id: 'nfz-hospital', name: 'District hospital helipad', shape: { type: 'circle', center: at(1100, -500), radiusM: 150 } },
    {
      id: 'nfz-heronry',
      name: 'Heronry breeding reserve',
      shape: { type: 'polygon', points: [at(-1300, 200), at(-900, 300), at(-800, -200), at(-1250, -300)] },
    },
    { id: 'nfz-waterworks', name: 'Waterworks', shape: { type: 'circle', center: at(2500, -2200), radiusM: 200 } },
  ],
  users: [] as unknown[],
  credentials: { devices: devHashes, services: {} as Record<string, string> },
};

const users = [
  ['operator', 'Duty Operator Wang', 'operator', 'operator-demo'],
  ['operator2', 'Operator Li', 'operator', 'operator2-demo'],
  ['chief', 'Station Chief Zhao', 'chief', 'chief-demo'],
  ['engineer', 'Engineer Chen', 'engineer', 'engineer-demo'],
] as const;
site.users = users.map(([username, displayName, role, password]) => ({ username, displayName, role, passwordHash: hashPassword(password) }));

const serviceSecrets: Record<string, string> = {};
for (const s of ['control', 'telemetry', 'web']) {
  serviceSecrets[s] = generateSecret();
  site.credentials.services[s] = hashDeviceSecret(serviceSecrets[s]!);
}

const header = '# Demo site for ringwatch. Generated by scripts/make-demo-site.ts; edit the generator, not this file.\n';
const doc = new Document(site);
// Points and short lists read best on one line: `{ latDeg: 30.27, lonDeg: 120.065 }`.
visit(doc, {
  Map(_, node) {
    const keys = node.items.map((p) => String((p.key as { value?: unknown }).value));
    if (keys.includes('latDeg') && keys.length <= 3) node.flow = true;
    if (keys.join() === 'minRelM,maxRelM') node.flow = true;
  },
  Seq(_, node) {
    if (node.items.every((i) => !isMap(i) && !isSeq(i))) node.flow = true;
  },
});
const yaml = header + doc.toString({ lineWidth: 0 });
parseSite(yaml, 'sites/demo.yaml'); // refuse to write a site that would not load
writeFileSync('sites/demo.yaml', yaml);
writeFileSync(
  'sites/demo.secrets.yaml',
  '# DEMO ONLY: plain secrets matching the hashes in demo.yaml, for simulators and local services.\n' +
    '# A real deployment keeps its secrets out of the repository (see README, Configuration).\n' +
    stringify({ devices: devSecrets, services: serviceSecrets, users: Object.fromEntries(users.map((u) => [u[0], u[3]])), mavlinkKeys }),
);
console.log('wrote sites/demo.yaml and sites/demo.secrets.yaml');

/**
 * A drone's own alarm (link lost, failsafe, fence, battery, landing, mission) in the
 * console's language. The server words each alarm in English (control/ops/vehicle-alarms.ts,
 * patrol-service.ts, readopt.ts) or passes on the autopilot's STATUSTEXT. Our own
 * sentences are recognised and said again with i18n keys; the autopilot's words are
 * summarised by kind and kept, verbatim, as evidence. Pure: no DOM, the translator handed in.
 * tests/web-map/alarm-text.test.ts keeps these patterns in step with the server's wording.
 */
import type { MessageKey, translator } from './i18n.ts';

type T = ReturnType<typeof translator>;

export interface AlarmWords {
  /** The alarm's detail in the console's language. */
  line: string;
  /** Words that are not ours to translate (the autopilot's, or a sentence we do not know), shown as they came. */
  evidence?: { who: 'autopilot' | 'service'; text: string };
}

type Rule = { re: RegExp; key: MessageKey; params: (m: RegExpExecArray) => Record<string, string> };

/** The sentences control itself writes, by alarm type. */
const OURS: Record<string, Rule[]> = {
  link_lost: [{ re: /^no MAVLink heartbeat from (\S+)$/, key: 'alarmText.noHeartbeat', params: () => ({}) }],
  low_battery: [{ re: /^battery (\d+)% in the air \(reserve (\d+)%\)$/, key: 'alarmText.batteryInAir', params: (m) => ({ pct: m[1]!, reserve: m[2]! }) }],
  unplanned_landing: [
    { re: /^landed and disarmed (\d+) m from its dock \((\w+), battery (\d+)%\)$/, key: 'alarmText.landedAway', params: (m) => ({ metres: m[1]!, mode: m[2]!, pct: m[3]! }) },
  ],
  mission_aborted: [
    {
      re: /^(\w+) sortie: disarmed on the ground (\d+) s after MISSION_START: did not take off$/,
      key: 'alarmText.noTakeoff',
      params: (m) => ({ ring: m[1]!, seconds: m[2]! }),
    },
    { re: /^(\w+) mission aborted: (\w+) reported by the drone before its planned turn home$/, key: 'alarmText.homeEarly', params: (m) => ({ ring: m[1]!, mode: m[2]! }) },
    {
      re: /^(\S+) found armed \((\w+), (\d+) m\) after a control restart and not re-adopted: .*\. Listed as manual; nothing was sent to it\.$/s,
      key: 'alarmText.notReadopted',
      params: (m) => ({ mode: m[2]!, altitude: m[3]! }),
    },
  ],
};

/** What the autopilot's words are about, most specific first (ArduPilot's and PX4's usual texts). */
const AUTOPILOT: { re: RegExp; key: MessageKey }[] = [
  { re: /ekf failsafe/i, key: 'alarmText.ap.ekf' },
  { re: /(radio|rc|throttle) failsafe/i, key: 'alarmText.ap.radio' },
  { re: /gcs failsafe|data link lost/i, key: 'alarmText.ap.gcs' },
  { re: /battery \d* ?is critical|critical battery|battery critical/i, key: 'alarmText.ap.batteryCritical' },
  { re: /battery|low battery/i, key: 'alarmText.ap.battery' },
  { re: /fences? breach|geofence/i, key: 'alarmText.ap.fence' },
  { re: /failsafe/i, key: 'alarmText.ap.failsafe' },
];

/** Types whose text is the autopilot's STATUSTEXT unless it is one of our sentences. */
const FROM_AUTOPILOT = new Set(['failsafe', 'fence_breach', 'low_battery']);

/** A drone alarm's words in the console's language, with what must stay as it came. */
export function vehicleAlarmWords(t: T, type: string, text: string, ringName: (ringId: string) => string): AlarmWords {
  for (const rule of OURS[type] ?? []) {
    const m = rule.re.exec(text);
    if (!m) continue;
    const params = rule.params(m);
    if (params['ring'] !== undefined) params['ring'] = ringName(params['ring']);
    return { line: t(rule.key, params) };
  }
  if (FROM_AUTOPILOT.has(type)) {
    const what = AUTOPILOT.find((a) => a.re.test(text))?.key ?? 'alarmText.ap.other';
    const mode = /changed to (\w+) mode/i.exec(text)?.[1];
    const line = t('alarmText.autopilot', { what: t(what) }) + (mode ? t('alarmText.modeChange', { mode: mode.toUpperCase() }) : '');
    return { line, evidence: { who: 'autopilot', text } };
  }
  // A sentence of ours this console does not know yet (a newer server): said as it came.
  return { line: t('alarmText.unknown'), evidence: { who: 'service', text } };
}

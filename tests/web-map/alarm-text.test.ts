import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { vehicleAlarmWords } from '../../web-map/client/alarm-text.ts';
import { translator } from '../../web-map/client/i18n.ts';

const en = translator('en');
const zh = translator('zh-CN');
const ring = (id: string) => ({ containment: 'Containment ring', prevention: 'Prevention ring' })[id] ?? id;
const ringZh = (id: string) => ({ containment: '核心外围圈', prevention: '防范圈' })[id] ?? id;

describe('a drone alarm in the console\'s language', () => {
  // The server's sentences exactly as control writes them today.
  it.each([
    ['link_lost', 'no MAVLink heartbeat from drone-3', 'no MAVLink heartbeat', '收不到飞控心跳'],
    ['low_battery', 'battery 22% in the air (reserve 25%)', 'battery 22% in the air (reserve 25%)', '空中电量 22%（备用电量 25%）'],
    ['unplanned_landing', 'landed and disarmed 412 m from its dock (LAND, battery 9%)', 'landed and disarmed 412 m from its dock (LAND, battery 9%)', '在距机库 412 米处降落并上锁（LAND，电量 9%）'],
    [
      'mission_aborted',
      'containment sortie: disarmed on the ground 31 s after MISSION_START: did not take off',
      'Containment ring sortie: still disarmed on the ground 31 s after the mission start, did not take off',
      '核心外围圈架次：任务开始 31 秒后仍在地面未解锁，未起飞',
    ],
    [
      'mission_aborted',
      'prevention mission aborted: RTL reported by the drone before its planned turn home',
      'Prevention ring mission aborted: the drone reported RTL before its planned turn home',
      '防范圈任务中止：无人机在计划返航前报告 RTL',
    ],
    [
      'mission_aborted',
      'drone-4 found armed (AUTO, 38 m) after a control restart and not re-adopted: its mission could not be read back (timeout); retried when its link comes back. Listed as manual; nothing was sent to it.',
      'found armed (AUTO, 38 m) after a control restart and not re-adopted: listed as manual, nothing sent to it',
      '控制服务重启后发现其已解锁（AUTO，38 米），未重新接管：列为手动，未向其发送任何指令',
    ],
  ])('%s: our own sentence is said again in each language, nothing left as evidence', (type, text, inEn, inZh) => {
    expect(vehicleAlarmWords(en, type, text, ring)).toEqual({ line: inEn });
    expect(vehicleAlarmWords(zh, type, text, ringZh)).toEqual({ line: inZh });
  });

  it.each([
    ['failsafe', 'EKF Failsafe: changed to LAND Mode', 'Autopilot reports an EKF failsafe (position estimate lost); switched to LAND', '飞控报告导航滤波失效保护（位置估计丢失），已切换到 LAND'],
    ['failsafe', 'Radio Failsafe', 'Autopilot reports a radio failsafe', '飞控报告遥控信号失效保护'],
    ['failsafe', 'GCS Failsafe: changed to RTL mode', 'Autopilot reports a ground-station link failsafe; switched to RTL', '飞控报告地面站链路失效保护，已切换到 RTL'],
    ['fence_breach', 'Fence Breached: polygon', 'Autopilot reports a geofence breach', '飞控报告越出地理围栏'],
    ['low_battery', 'Battery 1 is low 14.10V used 4410 mAh', 'Autopilot reports a low battery', '飞控报告电池电量低'],
    ['low_battery', 'Battery 1 is critical 13.20V used 5100 mAh', 'Autopilot reports a critical battery', '飞控报告电池电量严重不足'],
    ['failsafe', 'Something odd', 'Autopilot reports a problem', '飞控报告异常'],
  ])('%s: the autopilot\'s words are summarised and kept verbatim as evidence (%s)', (type, text, inEn, inZh) => {
    expect(vehicleAlarmWords(en, type, text, ring)).toEqual({ line: inEn, evidence: { who: 'autopilot', text } });
    expect(vehicleAlarmWords(zh, type, text, ring)).toEqual({ line: inZh, evidence: { who: 'autopilot', text } });
  });

  it('a sentence it does not know (a newer server) is shown as it came, marked as the service\'s', () => {
    expect(vehicleAlarmWords(zh, 'unplanned_landing', 'came down in a tree', ring)).toEqual({ line: '控制服务详情', evidence: { who: 'service', text: 'came down in a tree' } });
  });

  it('the server still words its alarms as the patterns expect (change both together)', () => {
    const src = (f: string) => readFileSync(new URL(`../../control/ops/${f}`, import.meta.url), 'utf8');
    const vehicle = src('vehicle-alarms.ts');
    expect(vehicle).toContain('`no MAVLink heartbeat from ${v.droneId}`');
    expect(vehicle).toContain('`battery ${t.batteryPct}% in the air (reserve ${reservePct}%)`');
    expect(vehicle).toContain('`landed and disarmed ${Math.round(awayM)} m from its dock (${t.mode}, battery ${t.batteryPct}%)`');
    const patrol = src('patrol-service.ts');
    expect(patrol).toContain('s after MISSION_START: did not take off`');
    expect(patrol).toContain('`${st.ringId} sortie: ${s.failure}`');
    expect(patrol).toContain('`${t.mode} reported by the drone before its planned turn home`');
    expect(patrol).toContain('`${st.ringId} mission aborted: ${s.note}`');
    expect(src('readopt.ts')).toContain('found armed (${t.mode}, ${Math.round(t.altRelM)} m) after a control restart and not re-adopted: ${why}. Listed as manual; nothing was sent to it.`');
  });
});

import { describe, expect, it } from 'vitest';
import { translator } from '../../web-map/client/i18n.ts';
import { noResponderWords } from '../../web-map/client/names.ts';
import type { Alarm, SiteView } from '../../web-map/client/types.ts';

const site = {
  drones: [{ id: 'drone-2', name: 'Heron 2' }],
  noFlyZones: [{ id: 'nfz-hospital', name: 'Lakeside Hospital' }],
} as unknown as SiteView;
const alarm = (noResponder: Alarm['noResponder']) => ({ id: 'a-1', noResponderReason: 'the server\'s English', noResponder }) as Alarm;

describe('why no drone went, in the console\'s language (issue 16, item 11)', () => {
  it.each([
    [{ code: 'target_in_zone', zoneId: 'nfz-hospital' }, 'the scene lies inside no-fly zone Lakeside Hospital', '现场位于禁飞区 Lakeside Hospital 内'],
    [{ code: 'no_route' }, 'no way round the no-fly zones to the scene', '无法绕开禁飞区到达现场'],
    [{ code: 'needs_confirmation' }, 'only drones on patrol could go; confirm to take one', '只有巡逻中的无人机可去，需确认后抽调'],
    [{ code: 'no_responder' }, 'no drone can reach it (busy, low battery or offline)', '没有可到达的无人机（忙碌、电量低或离线）'],
    [{ code: 'no_responder', droneId: 'drone-2' }, 'Heron 2 cannot go', 'Heron 2 无法前往'],
    [{ code: 'responder_failed', droneId: 'drone-2' }, 'Heron 2 failed on the way', 'Heron 2 途中失败'],
    [{ code: 'responder_taken', droneId: 'drone-2', alarmId: 'a-9' }, 'Heron 2 was taken by alarm a-9', 'Heron 2 已被警情 a-9 调走'],
  ] as const)('%j', (why, en, zh) => {
    expect(noResponderWords(translator('en'), site, alarm(why))).toBe(en);
    const inZh = noResponderWords(translator('zh-CN'), site, alarm(why))!;
    expect(inZh).toBe(zh);
    // Nothing English left but the site's own proper names and ids.
    expect(inZh.replace(/Lakeside Hospital|Heron 2|a-9/g, '')).not.toMatch(/[A-Za-z]{3,}/);
  });

  it('says nothing of its own for an alarm whose server sent no code (the sentence is shown as it came)', () => {
    expect(noResponderWords(translator('zh-CN'), site, alarm(undefined))).toBeUndefined();
  });
});

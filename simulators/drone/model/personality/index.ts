import { ardupilot } from './ardupilot.ts';
import type { AutopilotKind, Personality } from './personality.ts';
import { px4 } from './px4.ts';

export type * from './personality.ts';

/** The personality of an autopilot kind (the site's `autopilot`, default ArduPilot). */
export function personalityFor(kind: AutopilotKind | undefined): Personality {
  return kind === 'px4' ? px4 : ardupilot;
}

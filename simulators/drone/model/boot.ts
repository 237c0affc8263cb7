import type { BootStage, Personality } from './personality/personality.ts';

/**
 * The autopilot's boot, in seconds since it started: the stages during which arming is
 * refused (each with the checks that fail then), when the GPS has its first fix, when
 * home is known, when the position estimate is ready, and the periodic "PreArm" report.
 * Pure: the caller passes the time.
 */
export class BootTimeline {
  private readonly stages: BootStage[];
  readonly homeSetS: number;
  private nextReportS: number;

  constructor(
    private readonly personality: Personality,
    readonly prearmDelayS: number,
    readonly gpsFixDelayS: number,
    sensorChecksS: number | undefined,
  ) {
    this.stages = personality.bootStages(prearmDelayS, sensorChecksS);
    this.homeSetS = personality.homeSetS(prearmDelayS, gpsFixDelayS, sensorChecksS);
    this.nextReportS = personality.prearmReportPeriodS ?? Infinity;
  }

  /** Why arming is refused at `sinceBootS` in a mode that does (not) need a position; undefined once the boot is over. */
  refusal(sinceBootS: number, positionMode: boolean): string[] | undefined {
    const stage = this.stages.find((s) => sinceBootS < s.untilS);
    if (!stage || (stage.positionModesOnly && !positionMode)) return undefined;
    return stage.reasons;
  }

  estimateReady(sinceBootS: number): boolean {
    return sinceBootS >= this.prearmDelayS;
  }

  gpsFixed(sinceBootS: number): boolean {
    return sinceBootS >= this.gpsFixDelayS;
  }

  homeSet(sinceBootS: number): boolean {
    return sinceBootS >= this.homeSetS;
  }

  /** Whether the periodic pre-arm report is due at `sinceBootS` (each period answers once). */
  reportDue(sinceBootS: number): boolean {
    if (sinceBootS < this.nextReportS) return false;
    this.nextReportS += this.personality.prearmReportPeriodS ?? Infinity;
    return true;
  }

  /** After a reboot the report schedule starts again. */
  restart(): void {
    this.nextReportS = this.personality.prearmReportPeriodS ?? Infinity;
  }
}

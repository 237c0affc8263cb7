/**
 * The speed each drone really flies when told to go somewhere fast. Autopilots do not
 * always fly what they are told (ArduCopter resets the speed on entering GUIDED and
 * ignores DO_REPOSITION's speed; WPNAV_SPEED caps DO_CHANGE_SPEED), so every estimate
 * takes the commanded speed capped by what the drone last achieved on a leg long enough
 * to reach it. Fed with its own groundspeed reports; pure apart from the numbers fed in.
 */
export class AchievedSpeed {
  private readonly legs = new Map<string, { commandedMps: number; longEnough: boolean; peakMps: number; smoothMps: number }>();
  private readonly achieved = new Map<string, number>();

  /** A goto at `commandedMps` over `distanceM` starts; `rampM` is what reaching the speed takes. */
  startLeg(droneId: string, commandedMps: number, distanceM: number, rampM: number): void {
    this.endLeg(droneId);
    this.legs.set(droneId, { commandedMps, longEnough: distanceM >= 2 * rampM + 50, peakMps: 0, smoothMps: 0 });
  }

  /** One groundspeed report during the leg. Smoothed so a gust or a bad sample is not a record. */
  sample(droneId: string, groundSpeedMps: number): void {
    const leg = this.legs.get(droneId);
    if (!leg) return;
    leg.smoothMps = leg.smoothMps === 0 ? groundSpeedMps : 0.7 * leg.smoothMps + 0.3 * groundSpeedMps;
    leg.peakMps = Math.max(leg.peakMps, leg.smoothMps);
  }

  /** The leg is over (arrived, or another command): settle what it showed. */
  endLeg(droneId: string): void {
    const leg = this.legs.get(droneId);
    this.legs.delete(droneId);
    if (!leg?.longEnough || leg.peakMps <= 0) return;
    // Within 5 % of the command it flew what it was told; below, that is what it flies.
    if (leg.peakMps >= 0.95 * leg.commandedMps) this.achieved.delete(droneId);
    else this.achieved.set(droneId, leg.peakMps);
  }

  /** What the drone last achieved when it fell short of its command; undefined when it did not. */
  achievedMps(droneId: string): number | undefined {
    return this.achieved.get(droneId);
  }

  /** The speed to estimate with: the commanded one, capped by what it achieved. */
  speedMps(droneId: string, commandedMps: number): number {
    return Math.min(commandedMps, this.achieved.get(droneId) ?? commandedMps);
  }

  legActive(droneId: string): boolean {
    return this.legs.has(droneId);
  }
}

/**
 * A short two-tone beep through WebAudio: no audio file to ship, nothing for the CSP to
 * refuse. Browsers keep an AudioContext suspended until the page had a user gesture; the
 * sign-in click is one, and `resume()` is tried on every beep after that.
 */
let ctx: AudioContext | undefined;
let played = 0;

export function beep(critical: boolean): void {
  try {
    ctx ??= new AudioContext();
    void ctx.resume().catch(() => undefined);
    const t0 = ctx.currentTime;
    const tones = critical ? [880, 660, 880] : [660];
    tones.forEach((hz, i) => {
      const osc = ctx!.createOscillator();
      const gain = ctx!.createGain();
      osc.frequency.value = hz;
      gain.gain.setValueAtTime(0.0001, t0 + i * 0.2);
      gain.gain.exponentialRampToValueAtTime(0.25, t0 + i * 0.2 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + i * 0.2 + 0.18);
      osc.connect(gain).connect(ctx!.destination);
      osc.start(t0 + i * 0.2);
      osc.stop(t0 + i * 0.2 + 0.2);
    });
    played++;
  } catch {
    // No audio device or API: the banner and the badge still carry the alert.
  }
}

/** Beeps started so far (for the browser test and field debugging). */
export function beepsPlayed(): number {
  return played;
}

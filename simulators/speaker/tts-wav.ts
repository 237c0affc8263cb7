import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SpeechLang } from './speech.ts';

let espeakAvailable: boolean | undefined;

/** True when `espeak-ng` is on PATH (checked once per process). */
export function hasEspeakNg(): boolean {
  if (espeakAvailable === undefined) {
    const r = spawnSync('espeak-ng', ['--version'], { stdio: 'ignore', timeout: 5000 });
    espeakAvailable = r.status === 0;
  }
  return espeakAvailable;
}

export interface WavRenderer {
  render(speakerId: string, commandId: string, text: string, lang: SpeechLang, volumePct: number): void;
  /** Renders still running; tests await it. */
  idle(): Promise<void>;
  readonly written: string[];
  readonly failures: number;
}

/**
 * Renders what a speaker broadcast to `<dir>/<speaker>-<command>.wav` with espeak-ng so
 * an engineer can listen to it. Renders run in the background and never hold up the
 * acks: a simulator that waits on a synthesiser would misreport playback timing.
 */
export function createWavRenderer(dir: string): WavRenderer | undefined {
  if (!hasEspeakNg()) return undefined;
  mkdirSync(dir, { recursive: true });
  const pending = new Set<Promise<void>>();
  const written: string[] = [];
  let failures = 0;
  return {
    written,
    get failures() {
      return failures;
    },
    render(speakerId, commandId, text, lang, volumePct) {
      const file = join(dir, `${speakerId}-${commandId.replace(/[^A-Za-z0-9._-]/g, '_')}.wav`);
      // espeak-ng amplitude is 0-200 with 100 as normal.
      const args = ['-v', lang === 'zh-CN' ? 'cmn' : 'en', '-a', String(Math.round(volumePct * 1.5)), '-w', file, text];
      const p = new Promise<void>((resolve) => {
        const child = spawn('espeak-ng', args, { stdio: 'ignore' });
        child.on('error', () => {
          failures++;
          resolve();
        });
        child.on('exit', (code) => {
          if (code === 0) written.push(file);
          else failures++;
          resolve();
        });
      });
      pending.add(p);
      void p.then(() => pending.delete(p));
    },
    async idle() {
      await Promise.all([...pending]);
    },
  };
}

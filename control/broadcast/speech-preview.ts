import { spawn } from 'node:child_process';

/** Longest a preview may take to render; espeak-ng needs well under a second for a warning. */
export const SPEECH_PREVIEW_TIMEOUT_MS = 10_000;

export type SpeechPreview = { ok: true; wav: Buffer } | { ok: false; reason: 'unavailable' | 'failed'; message: string };

/**
 * Renders text as the simulated speakers do (espeak-ng, the same voices: `cmn` for
 * zh-CN, `en` for English) so a chief can hear a broadcast before sending it. The WAV
 * comes from espeak-ng's stdout; nothing is written to disk. Never throws.
 */
export function renderSpeechPreview(text: string, lang: 'zh-CN' | 'en', timeoutMs = SPEECH_PREVIEW_TIMEOUT_MS): Promise<SpeechPreview> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    // `--` so a text starting with '-' is never read as an option.
    const child = spawn('espeak-ng', ['-v', lang === 'zh-CN' ? 'cmn' : 'en', '--stdout', '--', text], { stdio: ['ignore', 'pipe', 'ignore'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: 'unavailable', message: `espeak-ng cannot run here: ${err.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && chunks.length) resolve({ ok: true, wav: withSizes(Buffer.concat(chunks)) });
      else resolve({ ok: false, reason: 'failed', message: signal ? `espeak-ng took longer than ${timeoutMs} ms` : `espeak-ng exited with ${code}` });
    });
  });
}

/**
 * espeak-ng writing to a pipe cannot seek back, so its RIFF and data sizes are
 * placeholders (0x7ffff000): browsers then show no duration. The whole file is in hand
 * here, so write the real sizes (the canonical 44-byte header: `data` at offset 36).
 */
function withSizes(wav: Buffer): Buffer {
  if (wav.length < 44 || wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 36, 40) !== 'data') return wav;
  wav.writeUInt32LE(wav.length - 8, 4);
  wav.writeUInt32LE(wav.length - 44, 40);
  return wav;
}

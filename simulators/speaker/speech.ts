/**
 * How long a broadcast takes to speak, in simulated seconds. Public-address speech is
 * slower than conversation: about 4 Chinese characters per second (240/min) and about
 * 140 English words per minute. A short lead-in covers the amplifier's chime.
 */
export const ZH_CHARS_PER_S = 4;
export const EN_WORDS_PER_MIN = 140;
export const LEAD_IN_S = 0.6;
export const MIN_SPEECH_S = 1;

export type SpeechLang = 'zh-CN' | 'en';

export function speechDurationS(text: string, lang: SpeechLang): number {
  let spokenS: number;
  if (lang === 'zh-CN') {
    // Punctuation is a pause, not a syllable; Latin runs inside Chinese count as one word.
    const han = text.match(/\p{Script=Han}/gu)?.length ?? 0;
    const latinWords = text.match(/[A-Za-z0-9]+/g)?.length ?? 0;
    const pauses = text.match(/[，。！？；、,.!?;]/g)?.length ?? 0;
    spokenS = han / ZH_CHARS_PER_S + (latinWords * 60) / EN_WORDS_PER_MIN + pauses * 0.25;
  } else {
    const words = text.split(/\s+/).filter(Boolean).length;
    const pauses = text.match(/[,.!?;]/g)?.length ?? 0;
    spokenS = (words * 60) / EN_WORDS_PER_MIN + pauses * 0.2;
  }
  return Math.max(MIN_SPEECH_S, LEAD_IN_S + spokenS);
}

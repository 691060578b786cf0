import { useCallback, useEffect, useRef, useState } from 'react';

const MUTE_KEY = 'wardline.alertTone.muted';

function readMuted(): boolean {
  try {
    return window.localStorage.getItem(MUTE_KEY) === '1';
  } catch {
    return false;
  }
}

export interface AlertTone {
  muted: boolean;
  setMuted: (muted: boolean) => void;
  /** Plays the tone unless muted; critical is a faster, higher triple beep. */
  play: (priority: 'critical' | 'high') => void;
  /** How many tones were played on this page (read by tests via data-tones-played). */
  played: number;
}

/**
 * The audible alert for new critical/high alerts, made with Web Audio (no sound files). The
 * mute choice is kept per browser in localStorage. Browsers only allow audio after a user
 * gesture; signing in is one, so on a ward screen reached by signing in the tone works.
 */
export function useAlertTone(): AlertTone {
  const [muted, setMutedState] = useState(readMuted);
  const [played, setPlayed] = useState(0);
  const ctxRef = useRef<AudioContext | null>(null);
  const mutedRef = useRef(muted);
  useEffect(() => {
    mutedRef.current = muted;
  }, [muted]);
  useEffect(
    () => () => {
      void ctxRef.current?.close().catch(() => undefined);
      ctxRef.current = null;
    },
    [],
  );

  const setMuted = useCallback((value: boolean) => {
    setMutedState(value);
    try {
      window.localStorage.setItem(MUTE_KEY, value ? '1' : '0');
    } catch {
      // Private mode: the choice lasts for this page only.
    }
  }, []);

  const play = useCallback((priority: 'critical' | 'high') => {
    if (mutedRef.current) return;
    try {
      const Ctor = window.AudioContext;
      if (!Ctor) return;
      const ctx = ctxRef.current ?? new Ctor();
      ctxRef.current = ctx;
      if (ctx.state === 'suspended') void ctx.resume().catch(() => undefined);
      const beeps = priority === 'critical' ? 3 : 2;
      const freq = priority === 'critical' ? 988 : 784;
      const t0 = ctx.currentTime + 0.02;
      for (let i = 0; i < beeps; i++) {
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.type = 'sine';
        osc.frequency.value = freq;
        const start = t0 + i * 0.25;
        gain.gain.setValueAtTime(0.0001, start);
        gain.gain.exponentialRampToValueAtTime(0.3, start + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.18);
        osc.connect(gain).connect(ctx.destination);
        osc.start(start);
        osc.stop(start + 0.2);
      }
      setPlayed((n) => n + 1);
    } catch {
      // No audio device: the visual banner still shows.
    }
  }, []);

  return { muted, setMuted, play, played };
}

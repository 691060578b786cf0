import { Registry } from 'prom-client';
import { counterFrom } from '../metrics/registry.js';

/** Refusals on the web side (HTTP and socket.io), by stable code, for /metrics. */
export function createWebMetrics() {
  const registry = new Registry();
  const refusals = new Map<string, number>();
  const signIns = { success: 0, failure: 0, locked: 0 };
  counterFrom(
    registry,
    {
      name: 'wardline_web_refusals_total',
      help: 'HTTP requests and socket.io handshakes refused, by code.',
      labelNames: ['code'],
    },
    () => [...refusals].map(([code, n]) => [{ code }, n] as const),
  );
  counterFrom(
    registry,
    { name: 'wardline_sign_ins_total', help: 'Sign-in attempts by outcome.', labelNames: ['outcome'] },
    () => Object.entries(signIns).map(([outcome, n]) => [{ outcome }, n] as const),
  );
  return {
    registry,
    refuse(code: string): void {
      refusals.set(code, (refusals.get(code) ?? 0) + 1);
    },
    refusals(code: string): number {
      return refusals.get(code) ?? 0;
    },
    signIn(outcome: keyof typeof signIns): void {
      signIns[outcome]++;
    },
  };
}
export type WebMetrics = ReturnType<typeof createWebMetrics>;

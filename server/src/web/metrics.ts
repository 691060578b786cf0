/** Refusals on the web side (HTTP and socket.io), by stable code, for /metrics. */
export function createWebMetrics() {
  const refusals = new Map<string, number>();
  const signIns = { success: 0, failure: 0, locked: 0 };
  return {
    refuse(code: string): void {
      refusals.set(code, (refusals.get(code) ?? 0) + 1);
    },
    refusals(code: string): number {
      return refusals.get(code) ?? 0;
    },
    signIn(outcome: keyof typeof signIns): void {
      signIns[outcome]++;
    },
    prometheus(): string {
      const lines = [
        '# HELP wardline_web_refusals_total HTTP requests and socket.io handshakes refused, by code.',
        '# TYPE wardline_web_refusals_total counter',
        ...[...refusals].map(([code, n]) => `wardline_web_refusals_total{code="${code}"} ${n}`),
        '# HELP wardline_sign_ins_total Sign-in attempts by outcome.',
        '# TYPE wardline_sign_ins_total counter',
        ...Object.entries(signIns).map(([o, n]) => `wardline_sign_ins_total{outcome="${o}"} ${n}`),
      ];
      return `${lines.join('\n')}\n`;
    },
  };
}
export type WebMetrics = ReturnType<typeof createWebMetrics>;

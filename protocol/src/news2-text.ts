/** NEWS2 parameters in words, as a nurse would say them (ward screens, alert text, the API). */
export const NEWS2_PARAMETER_WORDS: Readonly<Record<string, string>> = {
  respirationRate: 'respiration rate',
  spo2: 'SpO2',
  airOrOxygen: 'air or oxygen',
  systolic: 'systolic blood pressure',
  pulse: 'pulse',
  consciousness: 'consciousness (ACVPU)',
  temperature: 'temperature',
};

/**
 * "respiration rate, SpO2 and air or oxygen not recorded" from a NEWS2 missing list; null when
 * nothing is missing. Unknown names are shown as they are rather than dropped.
 */
export function news2MissingText(missing: readonly string[]): string | null {
  if (missing.length === 0) return null;
  const words = missing.map((m) => NEWS2_PARAMETER_WORDS[m] ?? m);
  const list = words.length === 1 ? words[0]! : `${words.slice(0, -1).join(', ')} and ${words.at(-1)!}`;
  return `${list} not recorded`;
}

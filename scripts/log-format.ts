/** Turns a pino JSON line into one readable line for the demo console; other text passes through. */
const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'v']);

export function formatLogLine(name: string, line: string): string {
  const tag = `[${name}]`.padEnd(10);
  if (!line.startsWith('{')) return `${tag} ${line}`;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 19) : '';
    const level = LEVELS[entry.level as number] ?? 'INFO ';
    const fields = Object.entries(entry)
      .filter(([k]) => !SKIP.has(k))
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join(' ');
    return `${tag} ${time} ${level} ${String(entry.msg ?? '')}${fields ? `  ${fields}` : ''}`;
  } catch {
    return `${tag} ${line}`;
  }
}

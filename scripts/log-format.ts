/** Turns a pino JSON line into one readable line for the demo console and log files. */
const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};
export const LEVEL_NUMBERS: Record<string, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};
/** The process tag already says which service wrote the line. */
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'v', 'name', 'service']);

export interface LogLine {
  /** pino's level number; null for a line that is not pino JSON (a crash, a message to stderr). */
  level: number | null;
  text: string;
}

export function readLogLine(name: string, line: string, options: { date?: boolean } = {}): LogLine {
  const tag = `[${name}]`.padEnd(10);
  if (!line.startsWith('{')) return { level: null, text: `${tag} ${line}` };
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const iso = typeof entry.time === 'number' ? new Date(entry.time).toISOString() : '';
    const time = options.date ? iso : iso.slice(11, 19);
    const level = typeof entry.level === 'number' ? entry.level : 30;
    // A stack reads as lines of its own, after the entry.
    const err = entry.err as { stack?: unknown } | undefined;
    const stack = typeof err?.stack === 'string' ? err.stack : undefined;
    if (stack) entry.err = { ...err, stack: undefined };
    const fields = Object.entries(entry)
      .filter(([k]) => !SKIP.has(k))
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join(' ');
    const text = `${tag} ${time} ${LEVELS[level] ?? 'INFO '} ${String(entry.msg ?? '')}${fields ? `  ${fields}` : ''}`;
    return { level, text: stack ? `${text}\n${stack.replace(/^/gm, '           ')}` : text };
  } catch {
    return { level: null, text: `${tag} ${line}` };
  }
}

export function formatLogLine(name: string, line: string): string {
  return readLogLine(name, line).text;
}

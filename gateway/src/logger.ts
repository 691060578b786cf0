/**
 * The logging surface the gateway needs: a subset of pino's Logger, so main.ts passes a pino
 * logger and tests pass a silent or capturing one. Log codes, counts, device ids and lengths;
 * never characteristic bytes, clinical values or credentials.
 */
export interface LogFn {
  (obj: object, msg?: string): void;
  (msg: string): void;
}

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

const noop = () => {};

export const silentLogger: Logger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
};

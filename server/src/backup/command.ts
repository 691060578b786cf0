/** What the backup and restore commands share: exit codes, output, and the frame that maps one to the other. */

/** A failure with its exit code: 1 refused or failed, 2 wrong usage or configuration. */
export class Failure extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
  }
}

export const say = (line: string) => process.stdout.write(`${line}\n`);

/** Runs a command body; resolves to the process exit code, with the failure on stderr. */
export async function runCommand(name: string, body: () => Promise<void>): Promise<number> {
  try {
    await body();
    return 0;
  } catch (err) {
    process.stderr.write(`${name}: ${(err as Error).message}\n`);
    return err instanceof Failure ? err.code : 1;
  }
}

/** The command did what it was asked. */
export const EXIT_OK = 0;
/** The command ran and failed: a check failed, a webhook did not verify, Zoom refused, the port is taken. */
export const EXIT_FAILED = 1;
/** The command was given something wrong: an unknown option, a bad value, a missing setting or file. */
export const EXIT_USAGE = 2;
/** A second Ctrl-C / SIGTERM while the command was stopping (128 + SIGINT, as shells report it). */
export const EXIT_INTERRUPTED = 130;

/**
 * An error the CLI prints as one `rtmskit: …` line, without a stack. Usage and configuration mistakes
 * exit {@link EXIT_USAGE}; a command that ran and failed passes {@link EXIT_FAILED}.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: typeof EXIT_FAILED | typeof EXIT_USAGE;

  constructor(message: string, exitCode: typeof EXIT_FAILED | typeof EXIT_USAGE = EXIT_USAGE) {
    super(message);
    this.exitCode = exitCode;
  }

  /** `--frames "x" is not one of text, binary, mixed`: a flag, the value as given, what is allowed. */
  static badValue(flag: string, value: string, allowed: string): CliError {
    return new CliError(`${flag} ${JSON.stringify(value)} is not ${allowed}`);
  }
}

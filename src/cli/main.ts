#!/usr/bin/env node
/**
 * The `rtmskit` command. Exit codes, for every command: 0 done, 1 the command ran and failed, 2 usage or
 * configuration error (commander's own included), 130 a second signal while stopping.
 */
import { Command, CommanderError } from 'commander';
import { isRtmsError, RTMS_ERROR_CODES } from '../protocol/errors.js';
import { registerDemo } from './demo.js';
import { registerDoctor } from './doctor.js';
import { EXIT_CODES_HELP, HELP_CONFIGURATION } from './help.js';
import { registerRtms } from './rtms.js';
import { registerServe } from './serve.js';
import { registerSimulate } from './simulate.js';
import { registerTools } from './tools.js';
import { CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './util.js';
import { packageVersion } from './version.js';

const program = new Command();
program
  .name('rtmskit')
  .description('Zoom Realtime Media Streams toolkit')
  .version(packageVersion(), '-V, --version', 'print the version of rtmskit')
  .showHelpAfterError()
  .configureHelp(HELP_CONFIGURATION)
  .addHelpText('after', EXIT_CODES_HELP)
  // Throw instead of exiting, so that commander's errors get the same exit code as ours. Set before the
  // commands are added: they inherit it.
  .exitOverride();
registerServe(program);
registerDemo(program);
registerSimulate(program);
registerDoctor(program);
registerRtms(program);
registerTools(program);

/** Errors a person caused by what they typed or configured, not by what happened while running. */
const USAGE_CODES: ReadonlySet<string> = new Set([
  RTMS_ERROR_CODES.CONFIG_INVALID,
  RTMS_ERROR_CODES.INVALID_OPTIONS,
]);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander has printed its message (or the help, or the version) already.
    process.exit(err.exitCode === EXIT_OK ? EXIT_OK : EXIT_USAGE);
  }
  if (err instanceof CliError) {
    process.stderr.write(`rtmskit: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  if (isRtmsError(err)) {
    process.stderr.write(`rtmskit: ${err.message}\n`);
    process.exit(USAGE_CODES.has(err.code) ? EXIT_USAGE : EXIT_FAILED);
  }
  throw err;
}

#!/usr/bin/env node
/**
 * The `rtmskit` command.
 */
import { Command } from 'commander';
import { isRtmsError } from '../protocol/errors.js';
import { registerDemo } from './demo.js';
import { registerServe } from './serve.js';
import { registerSimulate } from './simulate.js';
import { CliError } from './util.js';

const program = new Command();
program.name('rtmskit').description('Zoom Realtime Media Streams toolkit').showHelpAfterError();
registerServe(program);
registerDemo(program);
registerSimulate(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CliError) {
    process.stderr.write(`rtmskit: ${err.message}\n`);
    process.exit(2);
  }
  if (isRtmsError(err)) {
    process.stderr.write(`rtmskit: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}

#!/usr/bin/env node
/**
 * The `rtmskit` command.
 */
import { Command } from 'commander';
import { isRtmsError } from '../protocol/errors.js';
import { registerDemo } from './demo.js';
import { registerDoctor } from './doctor.js';
import { registerRtms } from './rtms.js';
import { registerServe } from './serve.js';
import { registerSimulate } from './simulate.js';
import { registerTools } from './tools.js';
import { CliError } from './util.js';

const program = new Command();
program.name('rtmskit').description('Zoom Realtime Media Streams toolkit').showHelpAfterError();
registerServe(program);
registerDemo(program);
registerSimulate(program);
registerDoctor(program);
registerRtms(program);
registerTools(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CliError) {
    process.stderr.write(`rtmskit: ${err.message}\n`);
    process.exit(2);
  }
  if (isRtmsError(err)) {
    process.stderr.write(`rtmskit: ${err.message}\n`);
    // 2: the command was given something wrong; 1: it ran and failed.
    process.exit(err.code === 'CONFIG_INVALID' || err.code === 'INVALID_OPTIONS' ? 2 : 1);
  }
  throw err;
}

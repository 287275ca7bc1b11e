/**
 * `rtmskit doctor`: pass / warn / fail for each thing that usually goes wrong, with the fix.
 */
import type { Command } from 'commander';
import { type CheckResult, runDoctor } from '../doctor/checks.js';
import { cliEnv, dotenvOption } from './env.js';
import { EXIT_FAILED } from './util.js';

const MARK: Readonly<Record<CheckResult['status'], string>> = {
  pass: 'PASS',
  warn: 'WARN',
  fail: 'FAIL',
  skip: 'SKIP',
};

export function formatChecks(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${MARK[r.status]}  ${r.name.padEnd(width)}  ${r.detail}`);
    if (r.fix && (r.status === 'fail' || r.status === 'warn'))
      lines.push(`${' '.repeat(width + 8)}fix: ${r.fix}`);
  }
  const failed = results.filter((r) => r.status === 'fail').length;
  const warned = results.filter((r) => r.status === 'warn').length;
  lines.push(
    '',
    failed === 0
      ? `all checks passed${warned ? ` (${warned} warning${warned > 1 ? 's' : ''})` : ''}`
      : `${failed} check${failed > 1 ? 's' : ''} failed`,
  );
  return lines.join('\n');
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check the configuration, the machine and the webhook URL, with a fix for each problem')
    .option(
      '--webhook-url <url>',
      'send a signed endpoint.url_validation to this public URL and check the answer',
    )
    .option('--oauth-base <url>', 'OAuth base for the S2S token check (the simulator’s URL to test)')
    .addOption(dotenvOption())
    .option('--json', 'print the results as JSON')
    .addHelpText(
      'after',
      '\nChecks the settings rtmskit serve reads (see rtmskit serve --help), from the environment and ./.env\n' +
        '(or --dotenv <path>). Exit code 1 when a check fails.',
    )
    .action(async (flags: { webhookUrl?: string; oauthBase?: string; dotenv?: string; json?: boolean }) => {
      // A --dotenv file that is not there is a mistake in the command line, not a failed check.
      if (flags.dotenv !== undefined) cliEnv(flags.dotenv);
      const results = await runDoctor({
        env: process.env,
        cwd: process.cwd(),
        ...(flags.dotenv ? { envFile: flags.dotenv } : {}),
        ...(flags.webhookUrl ? { webhookUrl: flags.webhookUrl } : {}),
        ...(flags.oauthBase ? { oauthBase: flags.oauthBase } : {}),
      });
      process.stdout.write(
        flags.json ? `${JSON.stringify(results, null, 2)}\n` : `${formatChecks(results)}\n`,
      );
      if (results.some((r) => r.status === 'fail')) process.exitCode = EXIT_FAILED;
    });
}

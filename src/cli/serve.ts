/**
 * `rtmskit serve`: the service, configured from flags, the environment and `.env`.
 */
import type { Command } from 'commander';
import { CONFIG_FLAGS, type ConfigFlags, loadConfig, SETTINGS, type SettingName } from '../service/config.js';
import { RtmsService } from '../service/Service.js';
import { dotenvOption } from './env.js';
import { settingFlagText, settingsSection } from './help.js';
import { CliError, EXIT_FAILED, EXIT_INTERRUPTED } from './util.js';

/** On the first SIGINT/SIGTERM shut down cleanly; on the second, exit at once. */
export function onShutdownSignals(shutdown: () => Promise<void>, out: (line: string) => void): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      out(`${signal} again: exiting now`);
      process.exit(EXIT_INTERRUPTED);
    }
    stopping = true;
    out(`${signal}: stopping (press Ctrl-C again to exit at once)`);
    void shutdown();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** The settings `serve` reads that no flag overrides: listed after the options. */
const FLAGGED: ReadonlySet<string> = new Set(CONFIG_FLAGS.map((f) => f.setting));
const ENVIRONMENT_ONLY: readonly SettingName[] = SETTINGS.map((s) => s.names[0]).filter(
  (name) => !FLAGGED.has(name),
);

export function registerServe(program: Command): void {
  const serve = program
    .command('serve')
    .description('receive Zoom webhooks, hold every stream, and record it');
  for (const { flag, arg, setting } of CONFIG_FLAGS) serve.option(`${flag} ${arg}`, settingFlagText(setting));
  serve
    .addOption(dotenvOption())
    .option(
      '--insecure-skip-verify',
      'accept unsigned webhooks, so ZOOM_SECRET_TOKEN is not needed: for local experiments only',
    )
    .addHelpText('after', () =>
      settingsSection(
        serve,
        'Settings read from the environment or .env (the environment wins over the file):',
        ENVIRONMENT_ONLY,
      ),
    )
    .action(async (flags: ConfigFlags & { dotenv?: string }) => {
      const { dotenv, ...rest } = flags;
      const config = loadConfig({ ...rest, ...(dotenv ? { envFile: dotenv } : {}) }, process.env);
      let service: RtmsService;
      try {
        service = await RtmsService.start(config);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // The configuration is fine; the machine is not (something holds the port): the command failed.
        if (code === 'EADDRINUSE') {
          throw new CliError(
            `port ${config.port} on ${config.host} is in use (another rtmskit serve?); set RTMSKIT_PORT or --port`,
            EXIT_FAILED,
          );
        }
        if (code === 'EADDRNOTAVAIL' || code === 'EACCES') {
          throw new CliError(
            `cannot listen on ${config.host}:${config.port} (${code}); set RTMSKIT_HOST / RTMSKIT_PORT`,
          );
        }
        throw err;
      }
      const detach = onShutdownSignals(
        () => service.shutdown().then(() => detach()),
        (line) => service.logger.warn(line),
      );
    });
}

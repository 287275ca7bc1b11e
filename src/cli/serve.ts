/**
 * `rtmskit serve`: the service, configured from flags, the environment and `.env`.
 */
import type { Command } from 'commander';
import { type ConfigFlags, loadConfig } from '../service/config.js';
import { RtmsService } from '../service/Service.js';
import { CliError } from './util.js';

/** On the first SIGINT/SIGTERM shut down cleanly; on the second, exit at once. */
export function onShutdownSignals(shutdown: () => Promise<void>, out: (line: string) => void): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      out(`${signal} again: exiting now`);
      process.exit(130);
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

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('receive Zoom webhooks, hold every stream, and record it')
    .option('--port <port>', 'HTTP port (env RTMSKIT_PORT, default 8080)')
    .option('--host <host>', 'address to bind (env RTMSKIT_HOST, default 127.0.0.1)')
    .option('--webhook-path <path>', 'webhook path (env RTMSKIT_WEBHOOK_PATH, default /webhook)')
    .option('--data-dir <dir>', 'recordings and database (env RTMSKIT_DATA_DIR, default ./data)')
    .option('--store-url <url>', 'sqlite:<path>, memory: or redis://… (env RTMSKIT_STORE_URL)')
    .option(
      '--media <kinds>',
      'comma-separated media kinds (env RTMSKIT_MEDIA, default audio,transcript,chat)',
    )
    .option('--audio-layout <layout>', 'auto, mixed or per-speaker (env RTMSKIT_AUDIO_LAYOUT)')
    .option('--log-level <level>', 'log level (env RTMSKIT_LOG_LEVEL, default info)')
    .option('--dotenv <path>', 'read settings from this file instead of ./.env')
    .option('--insecure-skip-verify', 'accept unsigned webhooks: for local experiments only')
    .action(async (flags: ConfigFlags & { dotenv?: string }) => {
      const { dotenv, ...rest } = flags;
      const config = loadConfig({ ...rest, ...(dotenv ? { envFile: dotenv } : {}) }, process.env);
      let service: RtmsService;
      try {
        service = await RtmsService.start(config);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') {
          throw new CliError(
            `port ${config.port} on ${config.host} is in use (another rtmskit serve?); set RTMSKIT_PORT or --port`,
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

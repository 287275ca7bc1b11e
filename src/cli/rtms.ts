/**
 * `rtmskit rtms start|stop|pause|resume <meetingId>`: REST control of the RTMS app in a live meeting.
 */
import type { Command } from 'commander';
import {
  DEFAULT_API_BASE,
  DEFAULT_OAUTH_BASE,
  type RtmsAction,
  ZoomRestClient,
} from '../rest/ZoomRestClient.js';
import { cliEnv } from './env.js';
import { CliError, envFirst } from './util.js';

interface RtmsFlags {
  apiBase: string;
  oauthBase: string;
  participantUserId?: string;
  dotenv?: string;
}

const ACTIONS: readonly RtmsAction[] = ['start', 'stop', 'pause', 'resume'];

export function registerRtms(program: Command): void {
  const rtms = program
    .command('rtms')
    .description('start, stop, pause or resume RTMS in a live meeting (REST)');
  for (const action of ACTIONS) {
    rtms
      .command(`${action} <meetingId>`)
      .description(`${action} the RTMS app in a live meeting`)
      .option('--api-base <url>', 'Zoom API base (the simulator’s URL to test)', DEFAULT_API_BASE)
      .option('--oauth-base <url>', 'Zoom OAuth base (the simulator’s URL to test)', DEFAULT_OAUTH_BASE)
      .option('--participant-user-id <id>', 'start RTMS on behalf of this participant')
      .option('--dotenv <path>', 'read settings from this file instead of ./.env')
      .action(async (meetingId: string, flags: RtmsFlags) => {
        const env = cliEnv(flags.dotenv);
        const appClientId = envFirst(env, 'ZOOM_CLIENT_ID', 'ZM_CLIENT_ID', 'ZM_RTMS_CLIENT');
        const appSecret = envFirst(env, 'ZOOM_CLIENT_SECRET', 'ZM_CLIENT_SECRET', 'ZM_RTMS_SECRET');
        const accountId = envFirst(env, 'ZOOM_ACCOUNT_ID');
        const missing = [
          ...(accountId ? [] : ['ZOOM_ACCOUNT_ID']),
          ...(appClientId ? [] : ['ZOOM_CLIENT_ID']),
          ...(envFirst(env, 'ZOOM_S2S_CLIENT_SECRET') || appSecret ? [] : ['ZOOM_S2S_CLIENT_SECRET']),
        ];
        if (missing.length > 0) {
          throw new CliError(
            `missing ${missing.join(', ')}: REST control needs the account id, the RTMS app's client id, and a ` +
              'Server-to-Server OAuth app (ZOOM_S2S_CLIENT_ID/SECRET, or the app’s own id/secret) — set them in .env',
          );
        }
        const client = new ZoomRestClient({
          accountId: accountId!,
          clientId: envFirst(env, 'ZOOM_S2S_CLIENT_ID') ?? appClientId!,
          clientSecret: envFirst(env, 'ZOOM_S2S_CLIENT_SECRET') ?? appSecret!,
          apiBase: flags.apiBase,
          oauthBase: flags.oauthBase,
        });
        const { status } = await client.rtmsStatus(meetingId, action, {
          clientId: appClientId!,
          ...(flags.participantUserId ? { participantUserId: flags.participantUserId } : {}),
        });
        process.stdout.write(
          `rtms ${action} accepted for meeting ${meetingId} (HTTP ${status}); Zoom confirms with the ` +
            `${action === 'stop' ? 'rtms_stopped' : action === 'start' ? 'rtms_started' : 'stream state'} event\n`,
        );
      });
  }
}

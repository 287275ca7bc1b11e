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
import { cliEnv, dotenvOption, settingValue } from './env.js';
import { type ListedSetting, settingsSection } from './help.js';
import { CliError } from './util.js';

interface RtmsFlags {
  apiBase: string;
  oauthBase: string;
  participantUserId?: string;
  dotenv?: string;
}

const ACTIONS: readonly RtmsAction[] = ['start', 'stop', 'pause', 'resume'];

/** What REST control reads: the account, the S2S app (falling back to the RTMS app), the RTMS app's id. */
const REST_SETTINGS: readonly ListedSetting[] = [
  { name: 'ZOOM_ACCOUNT_ID', use: { required: true } },
  'ZOOM_S2S_CLIENT_ID',
  'ZOOM_S2S_CLIENT_SECRET',
  'ZOOM_CLIENT_ID',
  { name: 'ZOOM_CLIENT_SECRET', use: { default: 'none; needed when ZOOM_S2S_CLIENT_SECRET is not set' } },
];

export function registerRtms(program: Command): void {
  const rtms = program
    .command('rtms')
    .description('start, stop, pause or resume RTMS in a live meeting (REST)');
  for (const action of ACTIONS) {
    const command = rtms
      .command(`${action} <meetingId>`)
      .description(`${action} the RTMS app in a live meeting`)
      .option('--api-base <url>', 'Zoom API base (the simulator’s URL to test)', DEFAULT_API_BASE)
      .option('--oauth-base <url>', 'Zoom OAuth base (the simulator’s URL to test)', DEFAULT_OAUTH_BASE)
      .option('--participant-user-id <id>', 'start RTMS on behalf of this participant')
      .addOption(dotenvOption());
    command
      .addHelpText('after', () =>
        settingsSection(
          command,
          'Settings, from the environment or .env: a Server-to-Server OAuth app (ZOOM_S2S_CLIENT_ID/SECRET,\n' +
            'falling back to the RTMS app’s own id and secret) of the account ZOOM_ACCOUNT_ID; ZOOM_CLIENT_ID\n' +
            'names the RTMS app in the request.',
          REST_SETTINGS,
        ),
      )
      .action(async (meetingId: string, flags: RtmsFlags) => {
        const env = cliEnv(flags.dotenv);
        const appClientId = settingValue(env, 'ZOOM_CLIENT_ID');
        const appSecret = settingValue(env, 'ZOOM_CLIENT_SECRET');
        const accountId = settingValue(env, 'ZOOM_ACCOUNT_ID');
        const s2sClientSecret = settingValue(env, 'ZOOM_S2S_CLIENT_SECRET') ?? appSecret;
        const missing = [
          ...(accountId ? [] : ['ZOOM_ACCOUNT_ID']),
          ...(appClientId ? [] : ['ZOOM_CLIENT_ID']),
          ...(s2sClientSecret ? [] : ['ZOOM_S2S_CLIENT_SECRET']),
        ];
        if (!accountId || !appClientId || !s2sClientSecret) {
          throw new CliError(
            `missing ${missing.join(', ')}: REST control needs the account id, the RTMS app's client id, and a ` +
              'Server-to-Server OAuth app (ZOOM_S2S_CLIENT_ID/SECRET, or the app’s own id/secret) — set them in .env',
          );
        }
        const client = new ZoomRestClient({
          accountId,
          clientId: settingValue(env, 'ZOOM_S2S_CLIENT_ID') ?? appClientId,
          clientSecret: s2sClientSecret,
          apiBase: flags.apiBase,
          oauthBase: flags.oauthBase,
        });
        const { status } = await client.rtmsStatus(meetingId, action, {
          clientId: appClientId,
          ...(flags.participantUserId ? { participantUserId: flags.participantUserId } : {}),
        });
        process.stdout.write(
          `rtms ${action} accepted for meeting ${meetingId} (HTTP ${status}); Zoom confirms with the ` +
            `${action === 'stop' ? 'rtms_stopped' : action === 'start' ? 'rtms_started' : 'stream state'} event\n`,
        );
      });
  }
}

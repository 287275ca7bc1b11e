/**
 * The service logger never writes a secret: each log line goes to an in-memory stream and is searched for
 * the secret strings themselves, not just for the censor mark.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HTTP_LIMITS, DEFAULT_RETENTION, type ServiceConfig } from '../../src/service/config.js';
import { createLogger } from '../../src/service/logger.js';

/** A stream that keeps every chunk written to it. */
function memoryStream(): { stream: Writable; text: () => string; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const text = () => chunks.join('');
  const lines = () =>
    text()
      .split('\n')
      .filter((line) => line.trim().length > 0)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { stream, text, lines };
}

const SECRETS = {
  clientSecret: 'sec-CLIENT-4f1e9a',
  secretToken: 'sec-TOKEN-77ab01',
  signature: 'v0=sec-SIGNATURE-c0ffee',
  authorization: 'Bearer sec-AUTH-5150',
  nestedClientSecret: 'sec-NESTED-b16b00b5',
  nestedSecretToken: 'sec-NESTED-TOKEN-0ddba11',
  zmSignature: 'v0=sec-ZM-SIG-deadbeef',
  adminToken: 'sec-ADMIN-1337',
  sdkSecret: 'sec-SDK-8badf00d',
  restSecret: 'sec-REST-feedface',
  redisPassword: 'sec-REDIS-c0c0a',
};

function expectNoSecret(text: string): void {
  for (const [name, value] of Object.entries(SECRETS)) {
    expect(text.includes(value), `${name} leaked into the log`).toBe(false);
    // Secrets minus their prefixes, in case a value is logged in part.
    const core = value.replace(/^(v0=|Bearer )/, '');
    expect(text.includes(core), `${name} leaked into the log`).toBe(false);
  }
}

describe('createLogger', () => {
  it('writes JSON lines to the given stream, with the non-secret fields intact', () => {
    const out = memoryStream();
    const logger = createLogger({ level: 'info', pretty: false, destination: out.stream });
    logger.info({ stream: 'abc', clientId: 'visible-client-id' }, 'hello');
    logger.debug('below the level');
    const lines = out.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'hello', stream: 'abc', clientId: 'visible-client-id', level: 30 });
  });

  it('redacts secrets at the top level, in headers and nested under app', () => {
    const out = memoryStream();
    const logger = createLogger({ level: 'info', pretty: false, destination: out.stream });
    logger.info(
      {
        clientId: 'visible-client-id',
        clientSecret: SECRETS.clientSecret,
        secretToken: SECRETS.secretToken,
        signature: SECRETS.signature,
        headers: { authorization: SECRETS.authorization, 'x-zm-signature': SECRETS.zmSignature, host: 'h' },
        app: {
          clientId: 'visible-app-id',
          clientSecret: SECRETS.nestedClientSecret,
          secretToken: SECRETS.nestedSecretToken,
        },
      },
      'credentials in play',
    );
    const text = out.text();
    expectNoSecret(text);
    const [line] = out.lines();
    expect(line).toMatchObject({
      clientId: 'visible-client-id',
      clientSecret: '[redacted]',
      secretToken: '[redacted]',
      signature: '[redacted]',
      headers: { authorization: '[redacted]', 'x-zm-signature': '[redacted]', host: 'h' },
      app: { clientId: 'visible-app-id', clientSecret: '[redacted]', secretToken: '[redacted]' },
    });
  });

  it('redacts the authorization and signature headers of a logged request', () => {
    const out = memoryStream();
    const logger = createLogger({ level: 'info', pretty: false, destination: out.stream });
    logger.warn(
      {
        req: {
          method: 'POST',
          url: '/webhook',
          headers: { authorization: SECRETS.authorization, 'x-zm-signature': SECRETS.zmSignature },
        },
      },
      'webhook rejected',
    );
    expectNoSecret(out.text());
    expect(out.lines()[0]).toMatchObject({
      req: { method: 'POST', headers: { authorization: '[redacted]', 'x-zm-signature': '[redacted]' } },
    });
  });

  it('redacts every secret of a whole ServiceConfig logged as the line object', () => {
    const out = memoryStream();
    const logger = createLogger({ level: 'info', pretty: false, destination: out.stream });
    const config: ServiceConfig = {
      port: 8080,
      host: '127.0.0.1',
      webhookPath: '/webhook',
      dataDir: '/tmp/data',
      storeUrl: 'sqlite:/tmp/data/rtmskit.db',
      redisPassword: SECRETS.redisPassword,
      instanceId: 'instance-a',
      media: ['audio'],
      audioLayout: 'auto',
      audioCodec: 'l16',
      videoCodec: 'jpg',
      encodeJobs: 1,
      allowedHosts: ['*.zoom.us'],
      allowLoopback: false,
      maxConcurrentHandshakes: 100,
      adminToken: SECRETS.adminToken,
      trustProxy: false,
      http: { ...DEFAULT_HTTP_LIMITS },
      retention: { ...DEFAULT_RETENTION },
      logLevel: 'info',
      app: { clientId: 'id', clientSecret: SECRETS.nestedClientSecret, secretToken: SECRETS.secretToken },
      videoSdk: { clientId: 'sdk', clientSecret: SECRETS.sdkSecret, secretToken: SECRETS.nestedSecretToken },
      insecureSkipVerify: false,
      rest: { accountId: 'acct', clientId: 'id', clientSecret: SECRETS.restSecret },
    };
    logger.info(config, 'configuration');
    expectNoSecret(out.text());
    expect(out.lines()[0]).toMatchObject({
      port: 8080,
      app: { clientId: 'id' },
      rest: { accountId: 'acct' },
    });
  });

  it('writes nothing at level silent', () => {
    const out = memoryStream();
    const logger = createLogger({ level: 'silent', pretty: false, destination: out.stream });
    logger.error({ clientSecret: SECRETS.clientSecret }, 'even errors');
    expect(out.text()).toBe('');
  });
});

/**
 * A self-signed certificate for `wss://` and `https://` on localhost, made with the system's `openssl`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RtmsError } from '../protocol/errors.js';

const run = promisify(execFile);

/** Generates a key and a certificate valid for `host`, `localhost`, 127.0.0.1 and ::1. */
export async function generateCertificate(host: string): Promise<{ key: string; cert: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'rtmskit-tls-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    const isIp = /^[\d.]+$|:/.test(host);
    const san = [`DNS:localhost`, 'IP:127.0.0.1', 'IP:::1', isIp ? `IP:${host}` : `DNS:${host}`].join(',');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '7',
      '-subj',
      '/CN=rtmskit simulator',
      '-addext',
      `subjectAltName=${san}`,
    ]);
    return { key: await readFile(keyPath, 'utf8'), cert: await readFile(certPath, 'utf8') };
  } catch (cause) {
    throw new RtmsError('CONFIG_INVALID', 'could not generate a TLS certificate for the simulator', {
      cause,
      fix: 'install openssl (apt-get install openssl) or run the simulator without --tls',
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

import https from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { Simulator } from '../../src/simulator/index.js';
import { RawSocket, signalingHandshake } from './rawClient.js';

let sim: Simulator | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('simulator over TLS', () => {
  it('serves wss:// signaling and https:// REST with a generated self-signed certificate', async () => {
    sim = await Simulator.start({ tls: true });
    const cert = sim.certificate;
    expect(cert).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const info = sim.startStream({ durationMs: 60_000 });
    expect(info.serverUrls[0]).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/signaling$/);

    const socket = new RawSocket(info.serverUrls[0] ?? '', { ca: cert ?? '' });
    await socket.opened;
    socket.send(signalingHandshake(sim.credentials, info));
    const response = await socket.waitForType(2);
    expect(response.status_code).toBe(0);
    const urls = (response.media_server as { server_urls: Record<string, string> }).server_urls;
    expect(urls.audio).toMatch(/^wss:\/\//);
    socket.close();

    const report = await httpsGet(`${sim.url}/sim/report`, cert ?? '');
    expect(report.status).toBe(200);
    expect(JSON.parse(report.body).streams[0].streamId).toBe(info.streamId);
  });

  it('is refused by a client that does not trust the certificate', async () => {
    sim = await Simulator.start({ tls: true });
    const info = sim.startStream({ durationMs: 60_000 });
    const socket = new RawSocket(info.serverUrls[0] ?? '');
    await expect(socket.opened).rejects.toThrow(/self[- ]signed|certificate/i);
  });
});

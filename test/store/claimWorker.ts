/**
 * A second process for the cross-process claim tests. It opens the store a URL names, prints `ready`,
 * waits for `go` on stdin, claims `<prefix>key-0` … `<prefix>key-<n-1>` as fast as it can and prints the
 * indexes it won as JSON.
 *
 * Usage: node --import tsx test/store/claimWorker.ts <storeUrl> <keyCount> [keyPrefix]
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { DELIVERY_TTL_MS } from '../../src/manager/DeliveryLedger.js';
import { openStore } from '../../src/store/index.js';

const [url, countText, keyPrefix = ''] = process.argv.slice(2);
if (url === undefined || countText === undefined) {
  throw new Error('usage: claimWorker <storeUrl> <keyCount> [keyPrefix]');
}
const count = Number(countText);

const store = await openStore(url, { pruneIntervalMs: 0 });
const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
await once(lines, 'line');
lines.close();

const won: number[] = [];
for (let i = 0; i < count; i += 1) {
  if (await store.claim(`${keyPrefix}key-${i}`, DELIVERY_TTL_MS)) won.push(i);
}
await store.close();
process.stdout.write(`${JSON.stringify(won)}\n`);

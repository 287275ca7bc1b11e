/**
 * A second process for the cross-process claim test. It opens the store, prints `ready`, waits for `go`
 * on stdin, claims `key-0` … `key-<n-1>` as fast as it can and prints the indexes it won as JSON.
 *
 * Usage: node --import tsx test/store/claimWorker.ts <dbPath> <keyCount>
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { DELIVERY_TTL_MS } from '../../src/manager/DeliveryLedger.js';
import { SqliteStore } from '../../src/store/SqliteStore.js';

const [path, countText] = process.argv.slice(2);
if (path === undefined || countText === undefined) throw new Error('usage: claimWorker <dbPath> <keyCount>');
const count = Number(countText);

const store = SqliteStore.open(path, { pruneIntervalMs: 0 });
const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
await once(lines, 'line');
lines.close();

const won: number[] = [];
for (let i = 0; i < count; i += 1) {
  if (await store.claim(`key-${i}`, DELIVERY_TTL_MS)) won.push(i);
}
await store.close();
process.stdout.write(`${JSON.stringify(won)}\n`);

/**
 * `npm run bench`: codec and webhook throughput against bare floors, then the ingest load.
 * INGEST_STREAMS (default 200,1000) and INGEST_MEASURE_MS tune the ingest run.
 */
import { benchCodec } from './codec.js';
import { benchIngest } from './ingest.js';
import { benchWebhook } from './webhook.js';

await benchCodec();
await benchWebhook();
await benchIngest();

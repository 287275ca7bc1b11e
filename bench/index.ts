import { benchCodec } from './codec.js';
import { benchWebhook } from './webhook.js';

await benchCodec();
await benchWebhook();

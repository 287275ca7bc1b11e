/** Streams' lifecycle webhooks: their payloads, one sender per app, in-order delivery and re-deliveries. */
import { StopReason } from '../protocol/enums.js';
import { lifecycleEventName, PRODUCT_INFO, type Product } from '../protocol/products.js';
import type { SimulatorCredentials } from './options.js';
import { zccCustomFields } from './productScript.js';
import type { SimStream } from './SimStream.js';
import type { LifecycleWebhook } from './stream/host.js';
import { phoneNumberOf } from './stream/voiceEvents.js';
import type { WebhookNotice } from './webhookNotice.js';
import { type WebhookAttempt, WebhookSender } from './webhookSender.js';

/** A webhook the simulator sent (or would have sent, without a webhook URL). */
export interface LifecycleWebhooksInit {
  /** Where webhooks go; without one they are only announced. */
  webhookUrl: string | undefined;
  credentials: SimulatorCredentials;
  /** At least 1: retries are never slowed below real time. */
  timeScale: number;
  /** `server_urls` of the server that serves the stream now. */
  signalingUrlOf(stream: SimStream): string;
  /** Every webhook, as it is delivered. */
  announce(notice: WebhookNotice): void;
  log(streamId: string | undefined, text: string): void;
}

export class LifecycleWebhooks {
  private readonly init: LifecycleWebhooksInit;
  private readonly senders = new Map<string, WebhookSender>();
  private readonly pending = new Set<Promise<unknown>>();
  /** Per stream, its latest lifecycle delivery. */
  private readonly lastDelivery = new Map<string, Promise<unknown>>();
  private closed = false;

  constructor(init: LifecycleWebhooksInit) {
    this.init = init;
  }

  /** No delivery is in flight or waiting for a retry. */
  get settled(): boolean {
    return this.pending.size === 0;
  }

  /** Resolves when every delivery in flight now has settled. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  /** `endpoint.url_validation`, signed with the General app's secret token. */
  validateUrl(): Promise<{ ok: boolean; status: number; reason?: string }> {
    const c = this.init.credentials;
    return this.sender(c.secretToken, c.clientId).validateUrl();
  }

  /** Every attempt of every sender, in the order they were made. */
  attempts(): WebhookAttempt[] {
    return [...this.senders.values()].flatMap((s) => [...s.attempts()]).sort((a, b) => a.at - b.at);
  }

  /** Sends the stream's `rtms_started`, `rtms_stopped` or `rtms_interrupted`. */
  send(stream: SimStream, kind: LifecycleWebhook): void {
    const event = lifecycleEventName(stream.product, kind);
    let eventTs = Date.now();
    // A failover's new rtms_started must differ from the first: that is how apps tell them apart.
    if (kind === 'started' && eventTs <= stream.startedEventTs) eventTs = stream.startedEventTs + 1;
    const payload = this.payloadOf(stream, kind);
    const body = Buffer.from(JSON.stringify({ event, event_ts: eventTs, payload }), 'utf8');
    if (kind === 'started') {
      stream.startedBody = body;
      stream.startedEventTs = eventTs;
    }
    const notice: WebhookNotice = {
      event,
      streamId: stream.streamId,
      eventTs,
      body,
      payload,
      duplicate: false,
    };
    this.lastDelivery.set(stream.streamId, this.deliver(notice, stream.product, stream.webhookDelayMs));
  }

  /**
   * Delivers the stream's `rtms_started` again, byte for byte. For an ended stream (a late retry) it goes
   * after the `rtms_stopped` delivery has settled.
   */
  resendStarted(stream: SimStream): void {
    const body = stream.startedBody;
    if (!body) return;
    const event = lifecycleEventName(stream.product, 'started');
    const payload = JSON.parse(body.toString('utf8')).payload as Record<string, unknown>;
    const notice: WebhookNotice = {
      event,
      streamId: stream.streamId,
      eventTs: stream.startedEventTs,
      body,
      payload,
      duplicate: true,
    };
    const after = stream.ended ? this.lastDelivery.get(stream.streamId) : undefined;
    this.deliver(notice, stream.product, stream.webhookDelayMs, after);
  }

  /** No more webhooks; pending retries are cancelled. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.senders.values()].map((s) => s.close()));
  }

  private sender(secretToken: string, clientId: string): WebhookSender {
    const key = `${clientId}\n${secretToken}`;
    let sender = this.senders.get(key);
    if (!sender) {
      sender = new WebhookSender({
        url: this.init.webhookUrl ?? 'http://127.0.0.1:9/',
        secretToken,
        clientId,
        timeScale: this.init.timeScale,
        onAttempt: (a) =>
          this.init.log(
            a.streamId,
            `webhook ${a.event} attempt ${a.attempt}: ${a.status} in ${Math.round(a.latencyMs)} ms`,
          ),
      });
      this.senders.set(key, sender);
    }
    return sender;
  }

  /** Video SDK sessions have an app of their own; every other product uses the General app. */
  private senderFor(product: Product): WebhookSender {
    const c = this.init.credentials;
    return product === 'session'
      ? this.sender(c.videoSdkSecretToken, c.videoSdkKey)
      : this.sender(c.secretToken, c.clientId);
  }

  private payloadOf(stream: SimStream, kind: LifecycleWebhook): Record<string, unknown> {
    const key = PRODUCT_INFO[stream.product].instanceKey;
    const payload: Record<string, unknown> = { [key]: stream.instanceId };
    if (stream.product === 'session') payload.session_key = stream.sessionKey;
    if (kind === 'started') payload.operator_id = stream.operatorId;
    payload.rtms_stream_id = stream.streamId;
    if (kind === 'started') {
      payload.server_urls = this.init.signalingUrlOf(stream);
      payload.account_id = stream.accountId;
      if (stream.product === 'meeting' || stream.product === 'webinar') {
        payload.meeting_id = /^\d+$/.test(stream.meetingId) ? Number(stream.meetingId) : stream.meetingId;
        payload.is_original_host = true;
      }
      if (stream.product === 'webinar') payload.webinar_id = payload.meeting_id;
      if (stream.product === 'contact_center')
        payload.custom_fields = zccCustomFields(stream.instanceId, phoneNumberOf(0));
    }
    if (kind === 'stopped') payload.stop_reason = stream.report().endReason ?? StopReason.UNDEFINED;
    return payload;
  }

  /**
   * Announces a webhook and delivers it (when a URL is set) once `after` has settled, so a stream's
   * webhooks reach the app in the order they were sent.
   */
  private deliver(
    notice: WebhookNotice,
    product: Product,
    delayMs: number,
    after?: Promise<unknown>,
  ): Promise<unknown> {
    const send = (): Promise<unknown> => {
      if (this.closed) return Promise.resolve();
      this.init.announce(notice);
      if (!this.init.webhookUrl) return Promise.resolve();
      return this.senderFor(product).resend({
        event: notice.event,
        eventTs: notice.eventTs,
        body: notice.body,
        ...(notice.streamId === undefined ? {} : { streamId: notice.streamId }),
      });
    };
    const delayed = delayMs > 0 ? new Promise((resolve) => setTimeout(resolve, delayMs).unref()) : undefined;
    const pending = after || delayed ? Promise.all([after, delayed]).then(send) : send();
    this.pending.add(pending);
    void pending.finally(() => this.pending.delete(pending));
    return pending;
  }
}

/**
 * What the simulator announces for every webhook it delivers: the `webhook` event's payload.
 */
export interface WebhookNotice {
  event: string;
  streamId?: string;
  eventTs: number;
  /** The exact body bytes. */
  body: Buffer;
  payload: Record<string, unknown>;
  /** A re-delivery of an earlier body (duplicate or late retry fault). */
  duplicate: boolean;
}

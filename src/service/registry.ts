/**
 * The service's bookkeeping in the store's stream registry: a record per stream from its first
 * `rtms_started`, new server URLs on a failover, how it ended, a heartbeat while it is live, and the
 * resume of what was live before a restart (inside Zoom's window) or its marking as lost (past it).
 */
import type { Logger } from 'pino';
import type { RemovedEvent } from '../manager/StreamManager.js';
import { SIGNALING_WINDOW_MS, type StreamManager } from '../manager/StreamManager.js';
import type { Store } from '../store/Store.js';
import type { WebhookEvent } from '../webhook/events.js';

export interface ServiceRegistryParts {
  store: Store;
  logger: Logger;
  now: () => number;
  /** Part of a fleet: events for streams held elsewhere still say how the stream ended. */
  fleet: boolean;
}

export class ServiceRegistry {
  constructor(private readonly parts: ServiceRegistryParts) {}

  private failed = (err: unknown): void => {
    this.parts.logger.error({ err }, 'registry write failed');
  };

  /** What a handled webhook changes in the registry. */
  webhookHandled(event: WebhookEvent, outcome: string): void {
    const { store, now } = this.parts;
    // A stream nobody here holds: the registry must still know how it ended, or that it moved servers,
    // for whichever instance holds it next.
    if (event.kind === 'stopped' && (outcome === 'routed' || outcome === 'ignored') && this.parts.fleet) {
      void store
        .updateStream(event.streamId, { state: 'stopped', endedAt: now(), stopReason: event.stopReason })
        .catch(this.failed);
      return;
    }
    if (event.kind === 'started' && (outcome === 'routed' || outcome === 'failover')) {
      void store
        .updateStream(event.streamId, { serverUrls: event.serverUrls, lastStartedEventTs: event.eventTs })
        .catch(this.failed);
      return;
    }
    if (event.kind !== 'started' || outcome !== 'connecting') return;
    const t = now();
    void store
      .putStream({
        streamId: event.streamId,
        product: event.product,
        instanceId: event.instanceId,
        ...(event.meetingId === undefined ? {} : { meetingId: event.meetingId }),
        serverUrls: event.serverUrls,
        state: 'active',
        startedAt: t,
        updatedAt: t,
        lastStartedEventTs: event.eventTs,
      })
      .catch(this.failed);
  }

  /** A stream ended here (not handed over, not dropped by a shutdown). */
  streamEnded(streamId: string, removed: RemovedEvent): void {
    const state = removed.reason === 'lost' ? 'lost' : removed.reason === 'failed' ? 'failed' : 'stopped';
    void this.parts.store
      .updateStream(streamId, {
        state,
        endedAt: this.parts.now(),
        ...(removed.stopReason === undefined ? {} : { stopReason: removed.stopReason }),
      })
      .catch(this.failed);
  }

  /** The heartbeat of the streams live here, so a restart knows whether they are still in Zoom's window. */
  async touch(streamIds: readonly string[]): Promise<void> {
    if (streamIds.length > 0) await this.parts.store.touchStreams(streamIds).catch(() => undefined);
  }

  /** Streams the registry holds as active: resumed inside Zoom's window, marked lost past it. */
  async resume(manager: StreamManager): Promise<void> {
    const { store, logger, now } = this.parts;
    for (const record of await store.activeStreams()) {
      const silentMs = now() - record.updatedAt;
      if (silentMs > SIGNALING_WINDOW_MS) {
        await store.updateStream(record.streamId, { state: 'lost', endedAt: now() });
        logger.warn(
          { stream: record.streamId, silentMs },
          'stream from before the restart is past Zoom’s window: lost',
        );
        continue;
      }
      logger.info({ stream: record.streamId, silentMs }, 'resuming stream from before the restart');
      await manager.resume({
        streamId: record.streamId,
        instanceId: record.instanceId,
        product: record.product,
        serverUrls: record.serverUrls,
        ...(record.meetingId === undefined ? {} : { meetingId: record.meetingId }),
      });
    }
  }
}

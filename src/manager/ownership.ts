/**
 * Who holds a stream's connections when several managers serve one Zoom app: the seam between the
 * manager and a fleet. A lone manager owns every stream it opens ({@link SOLE_OWNER}); a fleet member
 * takes a lease per stream, and hands events for streams held elsewhere to their owner.
 */
import type { WebhookEvent } from '../webhook/events.js';

/** The answer to {@link Ownership.acquire}. */
export type OwnershipClaim =
  /** This manager holds the stream now: it opens it. */
  | { held: true }
  /** Another instance holds it; events for the stream go there. */
  | { held: false; owner: string };

export interface Ownership {
  /** This instance's id, as other instances and the logs know it. */
  readonly instanceId: string;
  /** Takes `streamId` for this manager, unless a live instance holds it already. */
  acquire(streamId: string): Promise<OwnershipClaim>;
  /**
   * Whether this manager still holds `streamId`; asked before every socket of a held stream connects.
   * False closes the stream here without ending it: another instance has it.
   */
  confirm(streamId: string): Promise<boolean>;
  /** The stream ended or was closed here: gives it up. Never rejects. */
  release(streamId: string): Promise<void>;
  /** The live instance holding `streamId`, if any (possibly this one). */
  ownerOf(streamId: string): Promise<string | undefined>;
  /** Hands an event (already claimed) to the instance holding its stream, which acts on it once. */
  route(owner: string, event: WebhookEvent): Promise<void>;
  /**
   * Zoom says the stream's connection is gone (`rtms_interrupted`) while this manager does not hold it:
   * whoever takes it over may connect without meeting a connection still open.
   */
  connectionGone(streamId: string): Promise<void>;
}

/** One manager alone: it holds every stream it opens, and there is nowhere to route to. */
export const SOLE_OWNER: Ownership = {
  instanceId: 'local',
  acquire: () => Promise.resolve({ held: true }),
  confirm: () => Promise.resolve(true),
  release: () => Promise.resolve(),
  ownerOf: () => Promise.resolve(undefined),
  route: () => Promise.resolve(),
  connectionGone: () => Promise.resolve(),
};

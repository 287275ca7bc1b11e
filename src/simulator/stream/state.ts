/** The states of a simulated stream, each holding only the sockets that are valid in it. */
import { CloseCode } from '../../protocol/closeCodes.js';
import type { MediaKind } from '../../protocol/enums.js';
import type { MediaParams } from '../../protocol/messages.js';
import type { PumpState } from '../MediaPump.js';
import type { SimSocket } from '../SimSocket.js';

/** One accepted media connection. */
export interface MediaLink {
  readonly socket: SimSocket;
  readonly kinds: readonly MediaKind[];
  readonly params: MediaParams;
  /** Media flows only after a CLIENT_READY_ACK that follows this connection's handshake. */
  ready: boolean;
  readonly pump: PumpState;
}

/** No signaling handshake yet. Media sockets may connect already (the stream is known by its id). */
export interface Starting {
  readonly status: 'starting';
  readonly media: readonly MediaLink[];
}

export interface Active {
  readonly status: 'active';
  readonly signaling: SimSocket;
  readonly media: readonly MediaLink[];
}

/** Paused by REST or fault: events go on, media does not. */
export interface Paused {
  readonly status: 'paused';
  readonly signaling: SimSocket;
  readonly media: readonly MediaLink[];
}

/** Signaling lost, or the server failed over: the signaling window runs. */
export interface Interrupted {
  readonly status: 'interrupted';
  /** Media sockets connected again before signaling was. */
  readonly media: readonly MediaLink[];
  /** Paused when it was lost: a reconnect does not resume the stream. */
  readonly paused: boolean;
  /** Media kinds connected when signaling was lost: they must come back too. */
  readonly lostKinds: readonly MediaKind[];
  /**
   * Media connections lost before signaling was, each already counted as an interruption of its own:
   * the kinds still missing of each. Each counts as a recovery once its kinds are all back.
   */
  readonly earlierLosses: readonly (readonly MediaKind[])[];
}

export interface Ended {
  readonly status: 'ended';
}

export type SimState = Starting | Active | Paused | Interrupted | Ended;

/** How the sockets a new state drops go: with this close frame, or (without one) dropped. */
export interface Farewell {
  code: CloseCode;
  reason: string;
}

export const STREAM_ENDED: Farewell = { code: CloseCode.NORMAL, reason: 'stream ended' };
export const EVICTED: Farewell = { code: CloseCode.NORMAL, reason: 'evicted by a new connection' };

/** The stream's one state, and its one way to change. */
export interface StateMachine {
  readonly state: SimState;
  setState(next: SimState, farewell?: Farewell): void;
}

const NO_MEDIA: readonly MediaLink[] = [];

export function mediaOf(state: SimState): readonly MediaLink[] {
  return state.status === 'ended' ? NO_MEDIA : state.media;
}

export function signalingOf(state: SimState): SimSocket | undefined {
  return state.status === 'active' || state.status === 'paused' ? state.signaling : undefined;
}

/** Paused now, or paused when signaling was lost. */
export function isPaused(state: SimState): boolean {
  return state.status === 'paused' || (state.status === 'interrupted' && state.paused);
}

/** The same state with its media connections replaced. */
export function withMedia(state: SimState, media: readonly MediaLink[]): SimState {
  return state.status === 'ended' ? state : { ...state, media };
}

/** Every socket a state holds. */
export function socketsOf(state: SimState): SimSocket[] {
  const sockets = mediaOf(state).map((link) => link.socket);
  const signaling = signalingOf(state);
  if (signaling) sockets.unshift(signaling);
  return sockets;
}

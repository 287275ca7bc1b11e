/**
 * Opening one socket and waiting for its handshake answer: the shared handshake gate, the connect and
 * handshake timeouts, and the messages the server sent right behind its answer.
 */
import { MessageType } from '../protocol/enums.js';
import { RTMS_ERROR_CODES, RtmsError } from '../protocol/errors.js';
import type { ClientMessage, ServerMessage } from '../protocol/messages.js';
import { recoveryForClose } from '../protocol/recovery.js';
import type { ReconnectTrigger } from './events.js';
import type { HandshakeGate } from './handshakeGate.js';
import type { StreamTimeouts } from './options.js';
import { RtmsSocket, type SocketCloseInfo } from './RtmsSocket.js';

/** Why a recovery runs. */
export interface RecoveryCause {
  trigger: ReconnectTrigger;
  reason: string;
}

/** What lost a socket, and why in words: the close code's meaning comes from the recovery table. */
export function closeCause(info: SocketCloseInfo, socket: 'signaling' | 'media'): RecoveryCause {
  const lost: ReconnectTrigger = socket === 'signaling' ? 'signaling-lost' : 'media-lost';
  if (info.dead) return { trigger: 'silent-socket', reason: 'silent socket (watchdog)' };
  const err = info.error as (Error & { code?: string }) | undefined;
  if (err?.code === 'ECONNRESET')
    return { trigger: 'connection-reset', reason: `ECONNRESET (close ${info.code})` };
  if (err?.code) return { trigger: lost, reason: `${err.code} (close ${info.code})` };
  return { trigger: lost, reason: `close ${info.code}: ${recoveryForClose(info.code, socket).cause}` };
}

export interface HandshakeContext {
  timeouts: StreamTimeouts;
  ca: string | readonly string[] | undefined;
  gate: HandshakeGate | undefined;
  /** A frame of this socket could not be decoded. */
  onDecodeError: () => void;
}

export interface Handshaken {
  socket: RtmsSocket;
  response: ServerMessage;
  /**
   * Messages after the answer that arrived before the caller installed its own handlers (the server's
   * first frames, read in the same chunk as the answer), in order, for the caller to handle then.
   */
  early: ServerMessage[];
}

function noop(): void {}

/** Opens a socket to `url`, sends `request` and waits for the first message of type `expected`. */
export async function handshake(
  context: HandshakeContext,
  url: string,
  request: ClientMessage,
  expected: MessageType,
  signal: AbortSignal,
): Promise<Handshaken> {
  const { timeouts } = context;
  let settle: ((msg: ServerMessage) => void) | undefined;
  let fail: ((err: RtmsError) => void) | undefined;
  const answered = new Promise<ServerMessage>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  answered.catch(() => undefined);
  let gotAnswer = false;
  // Bounded by what one read delivers: the caller swaps the handlers without waiting in between.
  const early: ServerMessage[] = [];
  // Queued behind other streams' handshakes: the connect timeout starts once the turn comes.
  const release = context.gate ? await context.gate.acquire(signal) : noop;
  const kind = expected === MessageType.SIGNALING_HAND_SHAKE_RESP ? 'signaling' : 'media';
  let socket: RtmsSocket;
  try {
    socket = new RtmsSocket(
      url,
      { deadSocketMs: timeouts.deadSocketMs, ca: context.ca },
      {
        message: (msg) => {
          if (gotAnswer) {
            early.push(msg as ServerMessage);
          } else if (msg.msg_type === expected) {
            gotAnswer = true;
            settle?.(msg as ServerMessage);
          }
        },
        decodeError: context.onDecodeError,
        close: (info) =>
          fail?.(
            new RtmsError(
              RTMS_ERROR_CODES.ABORTED,
              `socket closed during the handshake (${closeCause(info, kind).reason})`,
            ),
          ),
      },
    );
  } catch (err) {
    release();
    throw err;
  }
  const onAbort = () => socket.terminate();
  signal.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  try {
    await socket.waitOpen(timeouts.connectMs, signal);
    socket.send(request);
    const response = await Promise.race([
      answered,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(RtmsError.timeout(`${MessageType[expected]} from ${url}`, timeouts.handshakeMs)),
          timeouts.handshakeMs,
        );
        timer.unref();
      }),
    ]);
    if (signal.aborted) throw RtmsError.aborted('handshake');
    return { socket, response, early };
  } catch (err) {
    socket.terminate();
    throw err;
  } finally {
    release();
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}

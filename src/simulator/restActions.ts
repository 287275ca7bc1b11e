/** What REST `rtms_app/status` actions do to the simulator's streams, and the simulator's own HTTP routes. */
import type http from 'node:http';
import { StopReason } from '../protocol/enums.js';
import type { SimulatorReport } from './report.js';
import { API_CODE, type RtmsAction, type RtmsActionResult } from './rtmsStatusRoute.js';
import type { SimStream } from './SimStream.js';

const OPERATION_FAILED: RtmsActionResult = {
  ok: false,
  httpStatus: 400,
  code: API_CODE.RTMS_OPERATION_FAILED,
  message: 'Failed to perform RTMS app operation.',
};

/**
 * Carries out an authorized action on the meeting's live stream. `start` needs none to be live; the
 * others need one.
 */
export function rtmsAction(
  streams: Iterable<SimStream>,
  meetingId: string,
  action: RtmsAction,
  start: (meetingId: string) => void,
): RtmsActionResult {
  let live: SimStream | undefined;
  for (const s of streams) {
    if (s.meetingId === meetingId && !s.ended) {
      live = s;
      break;
    }
  }
  if (action === 'start') {
    if (live) return OPERATION_FAILED;
    start(meetingId);
    return { ok: true };
  }
  if (!live)
    return {
      ok: false,
      httpStatus: 404,
      code: API_CODE.MEETING_NOT_FOUND,
      message: `Meeting does not exist: ${meetingId}.`,
    };
  switch (action) {
    case 'stop':
      live.end(StopReason.USER_TRIGGERED);
      return { ok: true };
    case 'pause':
      return live.pause() ? { ok: true } : OPERATION_FAILED;
    case 'resume':
      return live.resume() ? { ok: true } : OPERATION_FAILED;
  }
}

/** `GET /sim/report`, and 404 for every path no one else took. */
export function simRoutes(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  report: () => SimulatorReport,
): void {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method === 'GET' && path === '/sim/report') {
    const text = JSON.stringify(report());
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(text);
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ code: 404, message: `no route ${req.method} ${path}` }));
}

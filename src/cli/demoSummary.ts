/** The summary `rtmskit demo` prints once its meetings are over: per stream, what came and what was written. */
import { stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { ClosedEvent } from '../client/events.js';
import type { StreamSnapshot } from '../manager/StreamManager.js';
import type { EncodedOutput } from '../media/encode/index.js';
import { MANIFEST_FILE, type ManifestFile, type RecordingManifest, readManifest } from '../media/manifest.js';
import { StopReason } from '../protocol/enums.js';
import type { Simulator } from '../simulator/Simulator.js';

/** What the demo saw of one stream. */
export interface StreamOutcome {
  streamId: string;
  closed: ClosedEvent | undefined;
  snapshot: StreamSnapshot | undefined;
  dir: string | undefined;
  manifest: RecordingManifest | undefined;
  reconnects: number;
}

export async function printSummary(
  out: (line: string) => void,
  dataDir: string,
  outcomes: StreamOutcome[],
  simReport: ReturnType<Simulator['stats']>,
): Promise<boolean> {
  out('');
  out('summary');
  let ok = outcomes.length > 0;
  for (const o of outcomes) {
    const sim = simReport.streams.find((s) => s.streamId === o.streamId);
    const c = o.snapshot?.counters;
    const ended =
      o.closed?.reason === 'stopped'
        ? `ended by Zoom (${StopReason[o.closed.stopReason ?? 0] ?? o.closed.stopReason})`
        : `${o.closed?.reason ?? 'not closed'}${o.closed?.error ? `: ${o.closed.error.message}` : ''}`;
    if (o.closed?.reason !== 'stopped') ok = false;
    out(`  stream ${o.streamId}: ${ended}`);
    if (c) {
      const kinds = (['audio', 'transcript', 'chat', 'video', 'deskshare'] as const)
        .filter((k) => c.frames[k] > 0 || (sim?.framesSent[k] ?? 0) > 0)
        .map((k) => `${k} ${c.frames[k]}/${sim?.framesSent[k] ?? '?'}`);
      out(`    messages received/sent: ${kinds.join(', ') || 'none'}; duplicates dropped ${c.duplicates}`);
    }
    const m = o.manifest;
    out(
      `    reconnects ${o.reconnects}; gaps filled ${m?.counters.gapsFilled ?? 0} ` +
        `(${Math.round(m?.counters.silenceMs ?? 0)} ms of silence where nobody spoke or media was away, ` +
        `so the audio's timeline is the meeting's); sink drops ${m?.counters.dropped ?? 0}`,
    );
    if (o.dir) {
      out(`    folder ${relative(process.cwd(), o.dir) || '.'}`);
      for (const f of m?.files ?? []) out(`      ${f.path} (${describeFile(f)})`);
      const made = new Set(m?.files.map((f) => f.path));
      for (const f of m?.encoding?.outputs ?? []) {
        if (!made.has(f.path)) out(`      ${f.path} (${describeOutput(f)})`);
      }
      for (const f of m?.encoding?.failures ?? []) out(`      ${f.path}: not made: ${f.error}; ${f.fix}`);
      const manifest = await stat(join(o.dir, MANIFEST_FILE)).catch(() => undefined);
      if (manifest) {
        out(
          `      ${MANIFEST_FILE} (${manifest.size.toLocaleString('en-US')} bytes: ids, media params, files, counters)`,
        );
      }
    }
  }
  const webhooks = simReport.webhooks;
  out(`  webhooks: ${webhooks.length} attempts, ${webhooks.filter((w) => w.delivered).length} delivered`);
  out(`  data folder: ${dataDir}`);
  out(ok ? 'every stream ended normally' : 'some streams did not end normally');
  return ok;
}

/** Each stream's manifest as it is on disk now, with the files made after the stream. */
export async function refreshManifests(outcomes: Iterable<StreamOutcome>): Promise<void> {
  for (const o of outcomes) {
    if (o.dir === undefined) continue;
    const read = await readManifest(o.dir);
    if (read.status === 'ok') o.manifest = read.manifest as RecordingManifest;
  }
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '' : `, ${(ms / 1000).toFixed(2)} s`;
}

function describeFile(f: ManifestFile): string {
  const what = f.decodedFrom
    ? `, decoded from ${f.decodedFrom}`
    : f.mixedFrom
      ? ', mixed from the speakers'
      : '';
  const count = f.files === undefined ? '' : `, ${f.files.toLocaleString('en-US')} pictures`;
  return `${f.bytes.toLocaleString('en-US')} bytes${seconds(f.durationMs)}${count}${what}`;
}

function describeOutput(f: EncodedOutput): string {
  const video = f.video
    ? `, ${f.video.frames.toLocaleString('en-US')} frames of ${f.video.codec}${f.video.reencoded ? ' (encoded from stills)' : ''} from ${(f.video.startMs / 1000).toFixed(2)} s`
    : '';
  return `${f.bytes.toLocaleString('en-US')} bytes, ${f.format}${seconds(f.durationMs)}${video}`;
}

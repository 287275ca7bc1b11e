/**
 * The dashboard: a page at `/` and its assets (plain files under `assets/dashboard/`, nothing built or
 * fetched at run time), and the recordings API it reads: `GET /api/recordings` (the newest recordings
 * with their manifests) and `GET /api/recordings/files/<day>/<instance>/<stream>/<file>` (a recording's
 * file, with HTTP ranges, so the page's audio player can seek). The API follows the admin rules; the
 * page itself holds no data.
 */
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, preHandlerHookHandler } from 'fastify';
import { listRecordingFolders } from '../media/folders.js';
import { readManifest } from '../media/manifest.js';
import { RECORDINGS_DIR } from '../media/paths.js';

/** The dashboard's files, in the package beside `src/` and `dist/`. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../assets/dashboard/', import.meta.url));

/** Recordings `GET /api/recordings` lists, newest first. */
export const API_RECORDINGS_LIMIT = 100;

/** A path below the recordings folder: day, instance and stream folders, then a file (or a frame). */
const RECORDING_FILE = /^\d{4}-\d{2}-\d{2}\/[^/]+\/[^/]+\/[^/]+(\/[^/]+)?$/;

export interface DashboardOptions {
  dataDir: string;
  /** The admin rules of `/api`. */
  admin: preHandlerHookHandler;
  /** The same, also taking `?access_token=` (an `<audio>` element cannot send headers). */
  adminWithQueryToken: preHandlerHookHandler;
}

export function dashboardPlugin(options: DashboardOptions): FastifyPluginAsync {
  const recordingsRoot = join(options.dataDir, RECORDINGS_DIR);
  return async (app) => {
    await app.register(fastifyStatic, {
      root: DASHBOARD_DIR,
      prefix: '/dashboard/',
      index: false,
      // The page is small and changes with the package: always revalidated, never stale.
      cacheControl: false,
      setHeaders: (res) => res.setHeader('cache-control', 'no-cache'),
    });
    app.get('/', (_request, reply) => reply.header('cache-control', 'no-cache').sendFile('index.html'));

    app.get<{ Querystring: { limit?: string } }>(
      '/api/recordings',
      { preHandler: options.admin },
      async (request) => {
        const asked = Number(request.query.limit ?? API_RECORDINGS_LIMIT);
        const limit = Number.isInteger(asked) && asked > 0 ? Math.min(asked, API_RECORDINGS_LIMIT) : 1;
        const folders = (await listRecordingFolders(options.dataDir)).reverse().slice(0, limit);
        const recordings = await Promise.all(
          folders.map(async (folder) => {
            const read = await readManifest(folder.dir);
            const path = folder.dir
              .slice(recordingsRoot.length + 1)
              .split(sep)
              .join('/');
            return {
              path,
              day: folder.day,
              stream: folder.stream,
              manifest: read.status === 'ok' ? read.manifest : null,
              status: read.status,
            };
          }),
        );
        // Newest first by start, whatever day folder a stream was filed under.
        recordings.sort((a, b) =>
          String(b.manifest?.startedAt ?? b.day).localeCompare(String(a.manifest?.startedAt ?? a.day)),
        );
        return { recordings };
      },
    );

    app.get<{ Params: { '*': string } }>(
      '/api/recordings/files/*',
      { preHandler: options.adminWithQueryToken },
      (request, reply) => {
        const path = request.params['*'];
        if (!RECORDING_FILE.test(path) || path.split('/').some((part) => part === '..' || part === '.')) {
          return reply.code(404).send({
            error: 'NOT_FOUND',
            message: `no recording file ${JSON.stringify(path)}`,
            fix: 'use a path from GET /api/recordings: <day>/<instance>/<stream>/<file>',
          });
        }
        return reply.header('cache-control', 'no-cache').sendFile(path, recordingsRoot);
      },
    );
  };
}

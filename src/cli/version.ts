/**
 * The package's version, read from package.json when asked: the same file npm installed, in the source
 * tree (`src/cli/`) and in the build (`dist/cli/`) alike, so a release never prints a stale number.
 */
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  if (typeof manifest.version !== 'string') throw new Error('package.json has no version');
  return manifest.version;
}

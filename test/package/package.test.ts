/**
 * rtmskit as people install it: `npm pack`, then `npm install <tarball>` into an empty `npm init -y`
 * project (CommonJS), and from there `require`, `import`, `tsx`, and TypeScript under `node16`,
 * `nodenext` and `bundler` resolution with `skipLibCheck: false`. The fixtures are in ./consumer. Every
 * TypeScript block of the README and docs/ that says it runs is run there too, as printed.
 */
import { execFile, spawn } from 'node:child_process';
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Simulator } from '../../src/simulator/index.js';
import { Cleanups } from '../cleanups.js';
import { freePort, REPO_ROOT, randomToken, sleep, waitFor } from '../service/helpers.js';

const run = promisify(execFile);
/** Packing builds the package; installing may compile nothing (scripts are off) but resolves ~100 packages. */
const SETUP_TIMEOUT_MS = 240_000;
const STEP_TIMEOUT_MS = 60_000;

const cleanups = new Cleanups();

interface Consumer {
  dir: string;
  tarball: string;
  packedFiles: string[];
  installOutput: string;
}

async function versionOf(name: string): Promise<string> {
  const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Packs the repository and installs the tarball, with TypeScript, @types/node and tsx, in a new project. */
async function packedConsumer(): Promise<Consumer> {
  const packDir = await cleanups.tempDir('rtmskit-pack-');
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', packDir], {
    cwd: REPO_ROOT,
    maxBuffer: 64 * 1024 * 1024,
    timeout: SETUP_TIMEOUT_MS,
  });
  // npm prints the build's output before the JSON.
  const packed = JSON.parse(stdout.slice(stdout.indexOf('[\n'))) as {
    filename: string;
    files: { path: string }[];
  }[];
  const [info] = packed;
  if (info === undefined) throw new Error(`npm pack printed no result: ${stdout}`);
  const dir = await cleanups.tempDir('rtmskit-consumer-');
  await run('npm', ['init', '-y'], { cwd: dir });
  const tools = await Promise.all(
    ['typescript', '@types/node', 'tsx'].map(async (name) => `${name}@${await versionOf(name)}`),
  );
  const tarball = join(packDir, info.filename);
  const install = await run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', tarball, ...tools],
    { cwd: dir, maxBuffer: 64 * 1024 * 1024, timeout: SETUP_TIMEOUT_MS },
  );
  await cp(join(REPO_ROOT, 'test', 'package', 'consumer'), dir, { recursive: true });
  return {
    dir,
    tarball,
    packedFiles: info.files.map((f) => f.path),
    installOutput: install.stdout + install.stderr,
  };
}

async function node(consumer: Consumer, args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, args, { cwd: consumer.dir, timeout: STEP_TIMEOUT_MS });
  return stdout;
}

let consumer: Consumer;

beforeAll(async () => {
  consumer = await packedConsumer();
}, SETUP_TIMEOUT_MS);

afterAll(() => cleanups.run());

describe('the packed tarball', () => {
  it('holds the build, the docs, the README and a LICENSE, and no tests, benchmarks or scripts', () => {
    const files = consumer.packedFiles;
    for (const path of ['dist/index.js', 'dist/index.d.ts', 'dist/index.d.cts', 'dist/cli/main.js']) {
      expect(files, path).toContain(path);
    }
    for (const path of ['README.md', 'LICENSE', 'docs/client.md', 'docs/service.md', 'docs/simulator.md']) {
      expect(files, path).toContain(path);
    }
    // The simulator's picture fixtures: a JPEG, a PNG and an H.264 loop per look and resolution.
    const pictures = files.filter((f) => f.startsWith('assets/simulator/pictures/'));
    for (const ext of ['jpg', 'png', 'h264']) {
      expect(pictures.filter((f) => f.endsWith(`.${ext}`)).length, ext).toBe(16);
    }
    // Every document the README links to is in the package.
    expect(files.filter((f) => /^(test|bench|scripts)\//.test(f))).toEqual([]);
    expect(files.filter((f) => /\.test\.|vitest/.test(f))).toEqual([]);
  });

  it('installs on this Node.js with no engine warning and runs no script of its own at install', async () => {
    expect(consumer.installOutput).not.toMatch(/EBADENGINE/);
    const pkg = JSON.parse(
      await readFile(join(consumer.dir, 'node_modules', 'rtmskit', 'package.json'), 'utf8'),
    ) as { scripts?: Record<string, string>; engines: { node: string } };
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare'])
      expect(pkg.scripts?.[hook]).toBeUndefined();
    expect(pkg.engines.node).toBe('>=20.19');
    const readme = await readFile(join(consumer.dir, 'node_modules', 'rtmskit', 'README.md'), 'utf8');
    for (const [, link] of readme.matchAll(/\]\((docs\/[^)#]+)/g)) {
      expect(consumer.packedFiles, `README links ${link}`).toContain(link);
    }
  });

  it('loads every entry with require() and with import, giving the same curated exports', async () => {
    const required = JSON.parse(await node(consumer, ['entries.cjs'])) as Record<string, string[]>;
    const imported = JSON.parse(await node(consumer, ['entries.mjs'])) as Record<string, string[]>;
    expect(imported).toEqual(required);
    const has = (entry: string, names: string[]) => {
      for (const name of names) expect(required[entry], `${entry} exports ${name}`).toContain(name);
    };
    has('rtmskit', [
      'StreamManager',
      'RtmsStream',
      'WebhookReceiver',
      'createNodeWebhookHandler',
      'RtmsError',
      'decodeFrame',
      'StopReason',
      'ZoomRestClient',
      'verifyNotification',
      'NOTIFY_HEADERS',
    ]);
    has('rtmskit/media', [
      'attachRecorder',
      'Recording',
      'readManifest',
      'repairRecordings',
      'pruneRecordings',
    ]);
    has('rtmskit/store', ['openStore', 'MemoryStore', 'SqliteStore', 'RedisStore']);
    has('rtmskit/service', ['RtmsService', 'loadConfig']);
    has('rtmskit/simulator', ['Simulator', 'parseFault']);
    // Internals stay inside.
    const all = Object.values(required).flat();
    for (const internal of [
      'JsonlWriter',
      'MemoryBudget',
      'wavHeader',
      'decodeObject',
      'HandshakeLimiter',
      'SimStream',
      'SimSocket',
    ]) {
      expect(all, internal).not.toContain(internal);
    }
    // The root entry is the library, not the service.
    for (const service of ['RtmsService', 'Simulator', 'SqliteStore', 'RedisStore', 'attachRecorder']) {
      expect(required.rtmskit, service).not.toContain(service);
    }
  });

  it('loads the root entry without a native module or any of the service’s dependencies', async () => {
    const load = JSON.parse(await node(consumer, ['rootLoad.cjs'])) as {
      ms: number;
      cjsModules: number;
      natives: string[];
      heavy: string[];
      exports: number;
    };
    expect(load.natives).toEqual([]);
    expect(load.heavy).toEqual([]);
    expect(load.exports).toBeGreaterThan(50);
    console.info(
      `require('rtmskit'): ${load.ms.toFixed(1)} ms, ${load.cjsModules} CommonJS modules, ${load.exports} exports`,
    );
  });

  it.each(['require', 'import'])(
    'starts a simulated stream with video and receives frames at the negotiated size (%s)',
    async (mode) => {
      const out = JSON.parse(await node(consumer, ['videoFrame.cjs', mode])) as {
        mode: string;
        jpeg: { size: [number, number]; bytes: number };
        h264: number[];
      };
      expect(out.mode).toBe(mode);
      expect(out.jpeg.size).toEqual([1920, 1080]);
      expect(out.jpeg.bytes).toBeGreaterThan(1_000);
      // The first H.264 frame of a connection: SPS, PPS, then the IDR slice.
      expect(out.h264).toEqual([7, 8, 5]);
    },
    STEP_TIMEOUT_MS,
  );

  it('installs the rtmskit command', async () => {
    const { stdout } = await run(join(consumer.dir, 'node_modules', '.bin', 'rtmskit'), ['--help'], {
      cwd: consumer.dir,
      timeout: STEP_TIMEOUT_MS,
    });
    for (const command of ['serve', 'demo', 'simulate', 'doctor']) expect(stdout).toContain(command);
  });

  it('runs a CommonJS TypeScript app with tsx', async () => {
    const out = await node(consumer, [join('node_modules', 'tsx', 'dist', 'cli.mjs'), 'app.ts']);
    expect(out.trim()).toBe('ok 6 true true function function function function INVALID_OPTIONS');
  });

  it.each(['node16', 'nodenext', 'bundler'])(
    'type-checks a CommonJS and an ES module app under %s resolution, skipLibCheck off, typed events',
    async (mode) => {
      const tsc = join('node_modules', 'typescript', 'bin', 'tsc');
      const result = await run(process.execPath, [tsc, '-p', `tsconfig.${mode}.json`], {
        cwd: consumer.dir,
        timeout: STEP_TIMEOUT_MS,
      }).then(
        () => ({ code: 0, out: '' }),
        (error: { code?: number; stdout?: string }) => ({ code: error.code ?? 1, out: error.stdout ?? '' }),
      );
      expect(result.out).toBe('');
      expect(result.code).toBe(0);
    },
    STEP_TIMEOUT_MS,
  );
});

// ---------------------------------------------------------------------------------------------------
// The README's and docs' code, run as printed

interface Snippet {
  where: string;
  code: string;
  /** `simulator`: an app that takes webhooks on PORT, driven by a simulated meeting; else a program. */
  options: { simulator?: boolean; expect: string };
}

const RUNNABLE = /^<!-- runnable: (\{.*\}) -->$/;
const FRAGMENT = '<!-- fragment -->';

/** Every TypeScript block of the README and docs/, and the blocks not marked runnable or fragment. */
async function documentedCode(): Promise<{ runnable: Snippet[]; unmarked: string[] }> {
  const docs = (await readdir(join(REPO_ROOT, 'docs')))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`);
  const runnable: Snippet[] = [];
  const unmarked: string[] = [];
  for (const file of ['README.md', ...docs]) {
    const lines = (await readFile(join(REPO_ROOT, file), 'utf8')).split('\n');
    lines.forEach((line, i) => {
      if (!/^```(ts|typescript|js|javascript)\s*$/.test(line)) return;
      const where = `${file}:${i + 1}`;
      const marker = lines[i - 1]?.trim() ?? '';
      const end = lines.indexOf('```', i + 1);
      const code = lines.slice(i + 1, end).join('\n');
      const match = RUNNABLE.exec(marker);
      if (match?.[1] !== undefined) runnable.push({ where, code, options: JSON.parse(match[1]) });
      else if (marker !== FRAGMENT) unmarked.push(where);
    });
  }
  return { runnable, unmarked };
}

async function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Runs one snippet in the consumer project with tsx; resolves with its output once `expect` matched. */
async function runSnippet(snippet: Snippet, index: number): Promise<string> {
  const file = join(consumer.dir, `snippet-${index}.mts`);
  await writeFile(file, `${snippet.code}\n`);
  const credentials = {
    clientId: `doc_${randomToken()}`,
    clientSecret: randomToken(),
    secretToken: randomToken(),
  };
  const port = await freePort();
  const child = spawn(process.execPath, [join('node_modules', 'tsx', 'dist', 'cli.mjs'), file], {
    cwd: consumer.dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: consumer.dir,
      ZOOM_CLIENT_ID: credentials.clientId,
      ZOOM_CLIENT_SECRET: credentials.clientSecret,
      ZOOM_SECRET_TOKEN: credentials.secretToken,
      RTMSKIT_ALLOW_LOOPBACK: '1',
      PORT: String(port),
      DATA_DIR: join(consumer.dir, `data-${index}`),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  cleanups.add(() => {
    if (exitCode === undefined) child.kill('SIGKILL');
  });
  const expected = new RegExp(snippet.options.expect, 'm');
  const describe = () => `${snippet.where}\nstdout:\n${out.slice(-3000)}\nstderr:\n${err.slice(-3000)}`;
  if (snippet.options.simulator) {
    await waitFor(
      async () => {
        if (exitCode !== undefined)
          throw new Error(`the snippet exited (${exitCode}) before listening: ${describe()}`);
        return portAccepts(port);
      },
      `${snippet.where} to listen on ${port}`,
      30_000,
      100,
    );
    const sim = await Simulator.start({
      webhookUrl: `http://127.0.0.1:${port}/webhook`,
      credentials,
      timeScale: 8,
    });
    cleanups.add(() => sim.close());
    sim.startStream({ participants: 2, durationMs: 16_000 });
    await waitFor(() => expected.test(out), `${describe()}\nto print ${expected}`, 30_000, 50);
    child.kill('SIGINT');
    await Promise.race([exited, sleep(5_000)]);
  } else {
    await waitFor(() => exitCode !== undefined, `${snippet.where} to finish`, 60_000, 50);
    expect(exitCode, describe()).toBe(0);
    expect(out, describe()).toMatch(expected);
  }
  return out;
}

describe('the README and docs, run as printed', async () => {
  const { runnable, unmarked } = await documentedCode();

  it('mark every TypeScript block as runnable or as a fragment', () => {
    expect(unmarked).toEqual([]);
    expect(runnable.length).toBeGreaterThanOrEqual(3);
  });

  it.each(runnable.map((snippet, index) => ({ ...snippet, index })))(
    '$where runs against the packed package',
    async (snippet) => {
      await runSnippet(snippet, snippet.index);
    },
    90_000,
  );
});

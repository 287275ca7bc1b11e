// Writes a CommonJS twin (`.d.cts`) of every declaration file in dist/, for the `require` condition of
// package.json's exports. Node 20.19+ can require() rtmskit's ES modules; TypeScript, resolving for a
// CommonJS consumer under `node16`, needs declarations it reads as CommonJS to allow that require.
// The twins import each other (`./x.cjs` resolves to `./x.d.cts`), so one tree stays one format.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const dist = new URL('../dist/', import.meta.url).pathname;
const RELATIVE_JS = /((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]*?)\.js\2/g;

async function* declarations(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* declarations(path);
    else if (entry.name.endsWith('.d.ts')) yield path;
  }
}

let count = 0;
for await (const path of declarations(dist)) {
  const text = await readFile(path, 'utf8');
  await writeFile(path.replace(/\.d\.ts$/, '.d.cts'), text.replace(RELATIVE_JS, '$1$2$3.cjs$2'));
  count++;
}
console.log(`wrote ${count} CommonJS declaration twins`);

// What `require('rtmskit')` costs: time, CommonJS modules, native addons, and which of the service's
// dependencies it pulled in (it must pull in none).
const path = require('node:path');
const natives = [];
const dlopen = process.dlopen;
process.dlopen = function (module, filename, ...rest) {
  natives.push(filename);
  return dlopen.call(this, module, filename, ...rest);
};
const started = performance.now();
const root = require('rtmskit');
const ms = performance.now() - started;
const loaded = Object.keys(require.cache);
const heavy = [
  'fastify',
  'pino',
  'prom-client',
  'better-sqlite3',
  'ioredis',
  'ws',
  'zod',
  'commander',
].filter((name) =>
  loaded.some((file) => file.includes(`${path.sep}node_modules${path.sep}${name}${path.sep}`)),
);
console.log(
  JSON.stringify({ ms, cjsModules: loaded.length, natives, heavy, exports: Object.keys(root).length }),
);

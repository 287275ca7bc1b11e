// Loads every entry point with import, as an ES module app does, and prints their export names.
const entries = ['rtmskit', 'rtmskit/media', 'rtmskit/store', 'rtmskit/service', 'rtmskit/simulator'];
const names = {};
for (const entry of entries)
  names[entry] = Object.keys(await import(entry))
    .filter((n) => n !== 'default')
    .sort();
console.log(JSON.stringify(names));

// Loads every entry point with require(), as a CommonJS app does, and prints their export names.
const entries = ['rtmskit', 'rtmskit/media', 'rtmskit/store', 'rtmskit/service', 'rtmskit/simulator'];
const names = {};
for (const entry of entries) names[entry] = Object.keys(require(entry)).sort();
console.log(JSON.stringify(names));

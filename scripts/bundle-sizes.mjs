#!/usr/bin/env node
/**
 * The console's bundle size per route, from the Vite build's manifest (src/console/dist/.vite/
 * manifest.json): what a browser downloads for the first page (the entry chunk, its static imports
 * and CSS) and what each lazy route adds on top (its dynamic chunk, its imports, CSS and assets such
 * as MapLibre's worker). Sizes are raw and gzip (level 9, as served compressed); prints a Markdown table.
 *
 *   npm run build:console && node scripts/bundle-sizes.mjs
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const DIST = join(import.meta.dirname, '..', 'src', 'console', 'dist');
const manifest = JSON.parse(readFileSync(join(DIST, '.vite', 'manifest.json'), 'utf8'));
/** Lazy chunks by source file → the route that loads them. */
const ROUTES = { 'src/pages/MapPage.tsx': '/map', 'src/pages/dashboards/DashboardsPage.tsx': '/dashboards' };

function size(file) {
  const buf = readFileSync(join(DIST, file));
  return { raw: statSync(join(DIST, file)).size, gzip: gzipSync(buf, { level: 9 }).length };
}

/** Every file a chunk brings: itself, its static imports (recursively), their CSS and assets. */
function files(key, seen = new Set()) {
  const c = manifest[key];
  if (!c || seen.has(key)) return new Set();
  seen.add(key);
  const out = new Set([c.file, ...(c.css ?? []), ...(c.assets ?? [])]);
  for (const i of c.imports ?? []) for (const f of files(i, seen)) out.add(f);
  return out;
}

const entryKey = Object.keys(manifest).find((k) => manifest[k].isEntry);
const entry = files(entryKey);
const rows = [['every route (entry)', entry]];
for (const key of manifest[entryKey].dynamicImports ?? []) {
  const extra = [...files(key)].filter((f) => !entry.has(f));
  rows.push([`${ROUTES[key] ?? key} (adds, lazy)`, new Set(extra)]);
}
// Assets a chunk fetches at run time that the manifest does not list as its assets (MapLibre's
// worker is referenced through `?url`): count them to the route whose chunk names them.
for (const [, set] of rows.slice(1))
  for (const f of Object.values(manifest)
    .map((c) => c.file)
    .filter((f) => f.endsWith('.mjs')))
    if (
      !set.has(f) &&
      [...set].some(
        (g) => g.endsWith('.js') && readFileSync(join(DIST, g), 'utf8').includes(f.split('/').pop()),
      )
    )
      set.add(f);

const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
console.log('| route | files | JS raw | JS gzip | CSS gzip | total gzip |');
console.log('| ----- | ----- | -----: | ------: | -------: | ---------: |');
for (const [name, set] of rows) {
  let jsRaw = 0;
  let jsGz = 0;
  let cssGz = 0;
  for (const f of set) {
    const s = size(f);
    if (f.endsWith('.css')) cssGz += s.gzip;
    else {
      jsRaw += s.raw;
      jsGz += s.gzip;
    }
  }
  const list = [...set].map((f) => f.replace(/^assets\//, '')).join(', ');
  console.log(`| ${name} | ${list} | ${kb(jsRaw)} | ${kb(jsGz)} | ${kb(cssGz)} | ${kb(jsGz + cssGz)} |`);
}

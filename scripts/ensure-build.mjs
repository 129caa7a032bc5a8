// `npm start` on a fresh clone: compile the server once if dist/ is missing or older than src/, and
// build the web console if it has not been built.
import { execSync } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

function newest(dir, skip) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!skip.includes(p)) t = Math.max(t, newest(p, skip));
    } else if (p.endsWith('.ts') || p.endsWith('.tsx')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}
const marker = 'dist/cli/index.js';
if (!existsSync(marker) || statSync(marker).mtimeMs < newest('src', ['src/console'])) {
  console.error('tsunagu: compiling the server (first start or sources changed)…');
  execSync('npx tsc -p tsconfig.build.json', { stdio: 'inherit' });
}
const consoleIndex = 'src/console/dist/index.html';
if (!existsSync(consoleIndex) || statSync(consoleIndex).mtimeMs < newest('src/console/src', [])) {
  console.error('tsunagu: building the web console…');
  execSync('npx vite build --config src/console/vite.config.ts --logLevel warn', { stdio: 'inherit' });
}

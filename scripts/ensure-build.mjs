// `npm start` on a fresh clone: compile the TypeScript once if dist/ is missing or older than src/.
import { execSync } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (p.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}
const marker = 'dist/cli/index.js';
if (!existsSync(marker) || statSync(marker).mtimeMs < newest('src')) {
  console.error('tsunagu: compiling TypeScript (first start or sources changed)…');
  execSync('npx tsc -p tsconfig.build.json', { stdio: 'inherit' });
}

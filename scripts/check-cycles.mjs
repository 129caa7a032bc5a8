// No import cycles between modules (ARCHITECTURE.md: each module's index.ts is its public face).
// Walks every .ts/.tsx file under src/, resolves relative imports with TypeScript's own module
// resolution (so `./x.js` finds `./x.ts`), ignores type-only imports (erased at run time), and
// reports each cycle (strongly connected component) with its files. Exit 1 when there is one.
//
// Hand-written because eslint-plugin-import-x needs unrs-resolver, whose platform binaries are not
// all on the registry this project installs from, which breaks `npm ci` (see README, Tests).
import ts from 'typescript';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? 'src');
const files = [];
(function walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'dist') walk(p);
    } else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) files.push(p);
  }
})(root);

const options = {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  allowJs: false,
  jsx: ts.JsxEmit.ReactJSX,
};
const host = ts.createCompilerHost(options);
const known = new Set(files);
const graph = new Map();

for (const file of files) {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const deps = new Set();
  for (const st of src.statements) {
    let spec;
    if (ts.isImportDeclaration(st)) {
      const clause = st.importClause;
      if (clause?.isTypeOnly) continue;
      // `import { type A, type B } from` is erased too.
      const named = clause?.namedBindings;
      if (clause && !clause.name && named && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly))
        continue;
      spec = st.moduleSpecifier;
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier) {
      if (st.isTypeOnly) continue;
      spec = st.moduleSpecifier;
    } else continue;
    if (!ts.isStringLiteral(spec) || !spec.text.startsWith('.')) continue;
    const r = ts.resolveModuleName(spec.text, file, options, host).resolvedModule;
    if (r && known.has(r.resolvedFileName)) deps.add(r.resolvedFileName);
  }
  graph.set(file, deps);
}

// Tarjan's strongly connected components.
let index = 0;
const stack = [];
const onStack = new Set();
const idx = new Map();
const low = new Map();
const cycles = [];
function strong(v) {
  idx.set(v, index);
  low.set(v, index);
  index++;
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v)) {
    if (!idx.has(w)) {
      strong(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      comp.push(w);
    } while (w !== v);
    if (comp.length > 1 || graph.get(v).has(v)) cycles.push(comp);
  }
}
for (const v of graph.keys()) if (!idx.has(v)) strong(v);

if (cycles.length === 0) {
  console.log(`no import cycles (${files.length} files)`);
} else {
  for (const c of cycles) console.error(`import cycle: ${c.map((f) => relative(process.cwd(), f)).sort().join(' ↔ ')}`);
  process.exit(1);
}

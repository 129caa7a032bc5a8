// Module boundaries (issue 23), checked by `npm run lint` (so by `npm test`) with dependency-cruiser.
// A "module" is a folder directly under src/. Type-only imports count (tsPreCompilationDeps).
// There is no exception list: a violation is fixed in the code.
//
// Tests: `*.test.ts(x)` files are not cruised, and src/test-support/ is cruised only as a leaf
// (its own imports are not followed). Tests are white-box — they may reach into any module, and
// together with the harnesses in src/test-support/ they may build the whole app (app.ts) — and no
// production code imports them, so they cannot close a cycle at run time; counting their edges
// would report every `core test → test-support → app → core` path as a module cycle. What keeps
// test code out of production is the `no-test-code-in-production` rule below, checked by
// reachability from the entry points. Test helpers that live inside a module under another name
// (`test-helpers.ts`, `testing.ts`, `*.contract.ts`, …) are cruised like any module file.
const BUSINESS = '(registry|shadows|commands|telemetry|health|slo|notify|rules|jobs|schedules|auth|dashboards|alarms)';
const TEST_CODE = ['^src/test-support/', '\\.test\\.tsx?$'];

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'through-index',
      comment:
        'A module imports another module only through its index.ts (ARCHITECTURE.md). Add an export line to ' +
        'that index if it lacks what you need. src/test-support/ is a toolbox of independent harness files for tests.',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/[^/]+/', pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$', '^src/test-support/'] },
    },
    {
      name: 'root-through-index',
      comment: 'app.ts and main.ts wire modules through their index.ts like everyone else.',
      severity: 'error',
      from: { path: '^src/[^/]+\\.ts$' },
      to: { path: '^src/[^/]+/', pathNot: ['^src/[^/]+/index\\.ts$'] },
    },
    {
      name: 'no-app-main-cli',
      comment:
        'No module imports app.ts, main.ts, the cli or the whole-app benchmarks. Whole-app harnesses live in ' +
        'src/test-support/, whole-app benchmarks in src/bench/; only the cli and tests import those.',
      severity: 'error',
      from: { path: '^src/[^/]+/', pathNot: ['^src/(cli|bench)/'] },
      to: { path: ['^src/(app|main)\\.ts$', '^src/cli/', '^src/bench/'] },
    },
    {
      name: 'bench-not-main-cli',
      comment:
        'Whole-app benchmarks build the app (app.ts); they do not start the process (main.ts) or the cli.',
      severity: 'error',
      from: { path: '^src/bench/' },
      to: { path: ['^src/main\\.ts$', '^src/cli/'] },
    },
    {
      name: 'app-not-main-cli',
      comment:
        'buildApp wires modules and never listens; main.ts listens; the cli calls main.ts, never the reverse.',
      severity: 'error',
      from: { path: '^src/(app|main)\\.ts$' },
      to: { path: ['^src/cli/', '^src/main\\.ts$'] },
    },
    {
      name: 'no-module-cycle',
      comment: 'No cycle between modules (folders under src/), type-only imports included.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/([^/]+)' },
      to: { circular: true, pathNot: '^src/$1(/|$)' },
    },
    {
      name: 'mqtt-no-business',
      comment: 'The broker knows nothing about devices: the app wires policy into it through hooks.',
      severity: 'error',
      from: { path: '^src/mqtt/' },
      to: { path: `^src/${BUSINESS}/` },
    },
    {
      name: 'console-no-server',
      comment: 'The web console talks to the server over HTTP only (its API types are generated).',
      severity: 'error',
      from: { path: '^src/console/' },
      to: { path: '^src/', pathNot: '^src/console/' },
    },
    {
      name: 'no-test-code-in-production',
      comment: 'Nothing the tsunagu command runs reaches test code (tests, src/test-support/).',
      severity: 'error',
      from: { path: '^src/(cli/index|main|app)\\.ts$' },
      to: { path: TEST_CODE, reachable: true },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: ['node_modules', '^dist/', '\\.test\\.tsx?$', '^src/console/dist/'] },
    doNotFollow: { path: ['node_modules', '^src/test-support/'] },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs', '.json'] },
    reporterOptions: {
      dot: { collapsePattern: '^src/[^/]+' },
    },
  },
};

/**
 * The house rules, checked by `npm test` (npm run lint:deps): imports point one way.
 * - no cycles, type-only imports included;
 * - the core never imports a front end (cli, ui) or ink/react;
 * - cli and ui reach the core only through its entry (src/core/index.ts) and the worker
 *   protocol (src/core/protocol.ts), and never each other (bin/ wires them together);
 * - inside the core, each stage imports only the stages below it (STAGES, lowest first), and
 *   only through that stage's index.ts (its files import each other directly).
 */
const STAGES = ['model', 'sql', 'db', 'proof', 'engine', 'backup', 'verify', 'window', 'demo'];

const stageOrder = STAGES.map((stage, i) => ({
  name: `stage-order-${stage}`,
  comment: `src/core/${stage} may import only ${STAGES.slice(0, i).join(', ') || 'nothing else in the core'}`,
  severity: 'error',
  from: { path: `^src/core/${stage}/` },
  to: { path: `^src/core/(${STAGES.slice(i + 1).join('|') || '$^'})/` },
}));

const throughIndex = STAGES.map((stage) => ({
  name: `stage-entry-${stage}`,
  comment: `the rest of the core reaches src/core/${stage} only through src/core/${stage}/index.ts`,
  severity: 'error',
  from: { path: '^src/core/', pathNot: `^src/core/${stage}/` },
  to: { path: `^src/core/${stage}/`, pathNot: `^src/core/${stage}/index\\.ts$` },
}));

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'core-is-headless',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: ['^src/(cli|ui)/', '(^|/)node_modules/(ink|react|ink-[^/]+)/', '^(ink|react|ink-[a-z-]+)$'] },
    },
    {
      name: 'front-ends-use-the-core-entry',
      severity: 'error',
      from: { path: '^src/(cli|ui)/' },
      to: { path: '^src/core/', pathNot: '^src/core/(index|protocol)\\.ts$' },
    },
    { name: 'ui-not-cli', severity: 'error', from: { path: '^src/ui/' }, to: { path: '^src/cli/' } },
    { name: 'cli-not-ui', severity: 'error', from: { path: '^src/cli/' }, to: { path: '^src/ui/' } },
    ...stageOrder,
    ...throughIndex,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['es6'],
  },
};

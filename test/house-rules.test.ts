/**
 * The dependency rules (.dependency-cruiser.cjs) hold on the tree, and they can fail: a copy of
 * the tree with an upward import, a cycle, ink in the core, a front end reaching past the core's
 * entry, a stage reaching past another stage's index and the CLI importing the screen is
 * refused, rule by rule.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/fixtures.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CRUISE = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

function cruise(cwd: string) {
  return spawnSync(process.execPath, [CRUISE, 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd, encoding: 'utf8' });
}

describe('house rules', () => {
  it('the tree keeps them', () => {
    const run = cruise(ROOT);
    expect(run.stdout + run.stderr).toContain('no dependency violations found');
    expect(run.status).toBe(0);
  });

  it(
    'an upward import, a cycle, ink in the core, a front end past the core entry, a stage past an index and cli importing ui are each refused',
    { timeout: 60_000 },
    () => {
      const dir = tempDir('sw-rules-');
      for (const f of ['.dependency-cruiser.cjs', 'tsconfig.json', 'package.json']) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
      fs.cpSync(path.join(ROOT, 'src'), path.join(dir, 'src'), { recursive: true });
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
      fs.writeFileSync(path.join(dir, 'src/core/model/upward.ts'), "import { planMigration } from '../engine/planner.js';\nexport const p = planMigration;\n");
      fs.writeFileSync(path.join(dir, 'src/core/sql/loop-a.ts'), "import { b } from './loop-b.js';\nexport const a = () => b;\n");
      fs.writeFileSync(path.join(dir, 'src/core/sql/loop-b.ts'), "import type { a } from './loop-a.js';\nexport const b: typeof a | null = null;\n");
      fs.writeFileSync(path.join(dir, 'src/ui/past-entry.ts'), "export { takeSnapshot } from '../core/db/snapshot.js';\n");
      fs.writeFileSync(path.join(dir, 'src/core/window/drawn.ts'), "export { Text } from 'ink';\n");
      fs.writeFileSync(path.join(dir, 'src/cli/to-ui.ts'), "export { showWizard } from '../ui/run-wizard.js';\n");
      fs.writeFileSync(path.join(dir, 'src/core/engine/past-index.ts'), "export { takeSnapshot } from '../db/snapshot.js';\n");
      const run = cruise(dir);
      const said = run.stdout + run.stderr;
      expect(run.status).not.toBe(0);
      expect(said).toMatch(/stage-order-model: src\/core\/model\/upward\.ts → src\/core\/engine\/planner\.ts/);
      expect(said).toMatch(/no-cycles: src\/core\/sql\/loop-[ab]\.ts/);
      expect(said).toMatch(/front-ends-use-the-core-entry: src\/ui\/past-entry\.ts → src\/core\/db\/snapshot\.ts/);
      expect(said).toMatch(/core-is-headless: src\/core\/window\/drawn\.ts → ((\S*\/)?node_modules\/ink\/|ink\b)/);
      expect(said).toMatch(/cli-not-ui: src\/cli\/to-ui\.ts → src\/ui\/run-wizard\.tsx/);
      expect(said).toMatch(/stage-entry-db: src\/core\/engine\/past-index\.ts → src\/core\/db\/snapshot\.ts/);
    },
  );
});

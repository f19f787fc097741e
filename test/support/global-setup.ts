/**
 * Once per vitest run, before any test:
 * - the tests must run fresh code: CLI tests spawn bin/schema-wizard.js, which loads dist/, so a
 *   source file newer than its build fails the run at once (run `npm run build`, or `npm test`,
 *   which builds first);
 * - every temporary file of the run (tests, the CLI processes they spawn, their scratch copies)
 *   goes under one root, removed when the run ends, pass or fail; anything the run left in the
 *   machine's own temporary directory is reported as a failure.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OURS = /^(sw-|schema-wizard-)/;

function staleBuild(): string[] {
  const stale: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        const built = path.join(ROOT, 'dist', path.relative(path.join(ROOT, 'src'), file)).replace(/\.tsx?$/, '.js');
        if (!fs.existsSync(built) || fs.statSync(built).mtimeMs < fs.statSync(file).mtimeMs) stale.push(path.relative(ROOT, file));
      }
    }
  };
  walk(path.join(ROOT, 'src'));
  return stale;
}

export default function setup(): () => void {
  const stale = staleBuild();
  if (stale.length > 0) {
    throw new Error(
      `dist/ is older than src/ (${stale.slice(0, 3).join(', ')}${stale.length > 3 ? `, and ${stale.length - 3} more` : ''}): the CLI tests would run the old build. Run \`npm run build\` (npm test builds first).`,
    );
  }
  const systemTmp = os.tmpdir();
  const before = new Set(fs.readdirSync(systemTmp).filter((n) => OURS.test(n)));
  const root = fs.mkdtempSync(path.join(systemTmp, 'schema-wizard-test-run-'));
  // Workers and every process they spawn inherit it: os.tmpdir() reads TMPDIR on each call.
  process.env.TMPDIR = root;
  return () => {
    fs.rmSync(root, { recursive: true, force: true });
    const left = fs.readdirSync(systemTmp).filter((n) => OURS.test(n) && !before.has(n));
    if (left.length > 0) throw new Error(`the test run left ${left.length} entries in ${systemTmp}: ${left.slice(0, 5).join(', ')}`);
  };
}

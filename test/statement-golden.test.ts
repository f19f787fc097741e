/**
 * Golden files for the statement reader (the model: Atlas's sql/migrate/testdata/lex): each
 * test/golden/statements/NAME.sql is split into statements, which must equal NAME.golden,
 * whole-text and fed in chunks of 1, 3 and 64 characters alike. An unterminated statement at
 * the end is listed after "-- (unterminated)". Review a changed .golden by eye:
 * `SW_UPDATE_GOLDEN=1 npx vitest run test/statement-golden.test.ts` rewrites them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StatementReader, countStatements, splitStatements } from '../src/core/sql/statement-reader.js';

const DIR = path.join(import.meta.dirname, 'golden', 'statements');
const SEPARATOR = '\n-- ----\n';

function read(text: string, chunk: number): { statements: string[]; tail: string | null } {
  const reader = new StatementReader();
  const statements: string[] = [];
  for (let i = 0; i < text.length; i += chunk) statements.push(...reader.feed(text.slice(i, i + chunk)));
  return { statements, tail: reader.end() };
}

function render({ statements, tail }: { statements: string[]; tail: string | null }): string {
  return statements.join(SEPARATOR) + (tail === null ? '' : `${SEPARATOR}-- (unterminated)\n${tail}`) + '\n';
}

describe('statement reader golden files', () => {
  const inputs = fs.readdirSync(DIR).filter((f) => f.endsWith('.sql'));
  it('has inputs', () => expect(inputs.length).toBeGreaterThanOrEqual(5));
  for (const input of inputs) {
    it(input, () => {
      const text = fs.readFileSync(path.join(DIR, input), 'utf8');
      const golden = path.join(DIR, input.replace(/\.sql$/, '.golden'));
      const whole = read(text, text.length || 1);
      if (process.env.SW_UPDATE_GOLDEN) fs.writeFileSync(golden, render(whole));
      expect(render(whole)).toBe(fs.readFileSync(golden, 'utf8'));
      for (const size of [1, 3, 64]) expect(read(text, size)).toEqual(whole);
      // The one-shot helpers agree with the reader (splitStatements keeps an unterminated tail).
      expect(splitStatements(text)).toEqual([...whole.statements, ...(whole.tail === null ? [] : [whole.tail])]);
      expect(countStatements(text)).toBe(whole.statements.length + (whole.tail === null ? 0 : 1));
    });
  }
});

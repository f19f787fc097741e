/**
 * Guard statements end a write with a check that raises "integer overflow" (abs() of the
 * smallest integer) when a proof fails, so SQLite rolls the write back. They carry this mark in
 * their SQL text so the error translation can say what the failure means. A leaf module: the
 * client wrapper and the statement builders both read it.
 */
import type { Stmt } from '../sql/index.js';

export const GUARD_MARK = 'schema_wizard_guard';

/** SQL that raises when evaluated; `table` gives it a column so SQLite cannot fold it into a constant. */
function failingExpression(table: string): string {
  return `(SELECT abs(count(*) * 0 - 9223372036854775807 - 1) FROM ${table})`;
}

export type GuardKind = 'rows' | 'keys' | 'collision';

/**
 * A guard statement: it holds while `condition` is true and fails the write otherwise.
 * `table` (quoted) is any table the write leaves in place, read only to keep the failure lazy.
 */
export function guardStatement(kind: GuardKind, condition: string, table: string, args: Stmt['args'] = []): Stmt {
  return { sql: `SELECT CASE WHEN ${condition} THEN 0 ELSE ${failingExpression(table)} END AS ${GUARD_MARK}${kind === 'rows' ? '' : `_${kind}`}`, args };
}

/** Which guard refused to commit (the write was rolled back), or null when the error is something else. */
export function guardFailure(message: string, stmts: Stmt[] | undefined, error?: unknown): GuardKind | null {
  if (!/integer overflow/i.test(message) || !stmts) return null;
  const index = (error as { statementIndex?: number } | undefined)?.statementIndex;
  const failed = (index !== undefined ? stmts[index] : undefined) ?? stmts.find((s) => s.sql.includes(GUARD_MARK));
  const mark = failed ? new RegExp(`${GUARD_MARK}(_\\w+)?`).exec(failed.sql) : null;
  if (!mark) return null;
  return mark[1] === '_keys' ? 'keys' : mark[1] === '_collision' ? 'collision' : 'rows';
}

/**
 * Guard statements end a write with a check that raises "integer overflow" (abs() of the
 * smallest integer) when a proof fails, so SQLite rolls the write back. They carry this mark in
 * their SQL text so the error translation can say what the failure means. A leaf module: the
 * client wrapper and the statement builders both read it.
 */
import type { Stmt } from './db.js';

export const GUARD_MARK = 'schema_wizard_guard';

/** SQL that raises when evaluated; `table` gives it a column so SQLite cannot fold it into a constant. */
export function failingExpression(table: string): string {
  return `(SELECT abs(count(*) * 0 - 9223372036854775807 - 1) FROM ${table})`;
}

/** Whether an error is a guard refusing to commit (the write was rolled back). */
export function isGuardFailure(message: string, stmts: Stmt[] | undefined): boolean {
  return /integer overflow/i.test(message) && Boolean(stmts?.some((s) => s.sql.includes(GUARD_MARK)));
}

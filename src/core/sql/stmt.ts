/** One SQL statement with its bound values: values are always bound, never spliced into the text. */
import type { InArgs } from '@libsql/client';

export interface Stmt {
  sql: string;
  args?: InArgs;
}

/**
 * Two kinds of failure, as in Shopify cli-kit: a UserError is something the operator can fix
 * (bad flag, missing file, wrong token) and is shown as one sentence plus a hint, never a stack;
 * anything else is a bug or an unexpected runtime failure.
 */

/** Exit codes are part of the public contract (README "Exit codes"). */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  verificationFailed: 3,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class UserError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;
  constructor(message: string, options: { hint?: string; exitCode?: ExitCode; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'UserError';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.usage;
  }
}

/** A database statement failed: carries the statement so the report can say which one. */
export class StatementError extends Error {
  readonly sql: string;
  constructor(sql: string, cause: unknown) {
    super(`${messageOf(cause)} (while running: ${oneLine(sql)})`, { cause });
    this.name = 'StatementError';
    this.sql = sql;
  }
}

/** Serializable description of an error, for reports and JSON output. */
export interface ErrorInfo {
  name: string;
  message: string;
  hint?: string;
  code?: string;
  cause?: string;
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

export function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function toErrorInfo(error: unknown): ErrorInfo {
  const info: ErrorInfo = {
    name: error instanceof Error ? error.name : 'Error',
    message: messageOf(error),
  };
  if (error instanceof UserError && error.hint) info.hint = error.hint;
  const code = codeOf(error) ?? codeOf((error as { cause?: unknown } | null)?.cause);
  if (code) info.code = code;
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause !== undefined && !(error instanceof StatementError)) info.cause = messageOf(cause);
  return info;
}

export function oneLine(sql: string, max = 160): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

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

/**
 * The code of a remote write whose connection failed after it was sent: the server ran all of
 * it or none of it. Reports say "outcome unknown" for it, never "rolled back".
 */
export const WRITE_OUTCOME_UNKNOWN = 'WRITE_OUTCOME_UNKNOWN';

/**
 * The database could not be reached, refused the token, or lost a write in flight: not a fact
 * about the database, so a check never turns it into a failed verdict (the command fails instead).
 */
export function isConnectionFailure(error: unknown): boolean {
  if (codeOf(error) === WRITE_OUTCOME_UNKNOWN) return true;
  return error instanceof UserError && /^(Cannot reach |Authentication failed for )/.test(error.message);
}

/** A failure a check reports as its own verdict, as an Error; a connection failure is rethrown instead. */
export function checkFailure(error: unknown): Error {
  if (isConnectionFailure(error)) throw error;
  return error instanceof Error ? error : new Error(String(error));
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

export function toErrorInfo(raw: unknown): ErrorInfo {
  const error = asSentence(raw) ?? raw;
  const info: ErrorInfo = {
    name: error instanceof Error ? error.name : 'Error',
    message: messageOf(error),
  };
  if (error instanceof UserError && error.hint) info.hint = error.hint;
  const code = codeOf(error) ?? codeOf((error as { cause?: unknown } | null)?.cause);
  if (code) info.code = code;
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause !== undefined) info.cause = messageOf(cause);
  return info;
}

export function oneLine(sql: string, max = 160): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A full disk, however the layer that met it says so (errno, SQLite's code, or only its message). */
export function isDiskFull(error: unknown): boolean {
  const code = codeOf(error) ?? codeOf((error as { cause?: unknown } | null)?.cause) ?? '';
  return code === 'ENOSPC' || code.startsWith('SQLITE_FULL') || /disk is full|database or disk is full|no space left/i.test(messageOf(error));
}

/**
 * The last line of defence before an error reaches the operator: the failures anyone can meet
 * (a full disk, a path that is not a directory, a busy or vanished database, a foreign key)
 * become a sentence with a fix, whatever layer raised them. Null when there is nothing to add.
 */
export function asSentence(error: unknown): UserError | null {
  if (error instanceof UserError) return null;
  const code = codeOf(error) ?? codeOf((error as { cause?: unknown } | null)?.cause) ?? '';
  const message = messageOf(error);
  const path = (error as { path?: string } | null)?.path ?? (error as { dest?: string } | null)?.dest;
  const where = path ? ` (${path})` : '';
  const said = (text: string, hint: string, exitCode: ExitCode = ExitCode.failed) => new UserError(text, { hint, exitCode, cause: error });
  if (isDiskFull(error)) {
    return said(
      `The disk is full${where}: the step stopped, and its partial file was removed; a phase in flight was rolled back as a whole.`,
      'Free space (or pass --backup-dir on another disk), then run again.',
    );
  }
  if (code === 'ENOTDIR')
    return said(
      `A path that should be a directory is not one${where}.`,
      'Pass a directory (for example --backup-dir ./backups), not a file or a device.',
      ExitCode.usage,
    );
  if (code === 'EACCES' || code === 'EPERM')
    return said(`Permission denied${where}.`, 'Give this user write permission there, or choose another directory.', ExitCode.usage);
  if (code === 'EROFS') return said(`The file system is read-only${where}.`, 'Work on a writable copy, or choose a writable directory.', ExitCode.usage);
  if (code === 'ENOENT')
    return said(
      `A file or directory disappeared during the run${where}: the database may have been moved or deleted.`,
      'Check where the database is now, then run again with --db pointing at it.',
    );
  if (code.startsWith('SQLITE_CONSTRAINT') && /FOREIGN KEY/i.test(message)) {
    return said(
      `A write was refused by a foreign key (${message}): SQLite rolled it back as a whole.`,
      'PRAGMA foreign_key_check lists rows whose parent is missing; fix or remove them, then run again.',
    );
  }
  if (code.startsWith('SQLITE_BUSY') || /database is locked/i.test(message)) {
    return said(
      'The database is busy: another process holds a write lock on it (the write was rolled back as a whole).',
      'Stop the application services that write to it, or raise --busy-timeout, then run again.',
    );
  }
  if (code.startsWith('SQLITE_IOERR') || /disk I\/O error/i.test(message)) {
    return said(
      `Disk I/O error on the database (${message}): the file may have been moved, deleted or its disk failed; a phase in flight was rolled back as a whole.`,
      'Check that the database file is still where --db says, then run verify.',
    );
  }
  return null;
}

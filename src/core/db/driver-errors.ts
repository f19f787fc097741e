/**
 * Driver errors as sentences an operator can act on: what happened to which database, and the
 * fix. One table for every path (local file, HTTP, a refused guard statement); an error it does
 * not recognise passes through with the statement that failed.
 */
import { ExitCode, UserError, WRITE_OUTCOME_UNKNOWN, codeOf, messageOf } from '../model/index.js';
import { guardFailure, type GuardKind } from './guard-mark.js';
import type { Target } from './target.js';
import type { Stmt } from '../sql/index.js';

/** Turns driver errors into operator sentences; anything unrecognised passes through. */
export function translateError(error: unknown, target: Target, stmts?: Stmt[]): Error {
  if (error instanceof UserError) return error;
  const message = messageOf(error);
  const code = codeOf(error) ?? '';
  const where = target.display;
  const failedSql = stmts?.length === 1 ? ` while running: ${stmts[0].sql.replace(/\s+/g, ' ').slice(0, 120)}` : '';
  const guard = guardFailure(message, stmts, error);
  if (guard) return guardError(guard, where, error);
  if (code === 'URL_PARAM_NOT_SUPPORTED' || /Unsupported URL query parameter/i.test(message)) {
    return new UserError(
      `${where}: the database URL has a query parameter the client does not accept (${/parameter "([^"]*)"/.exec(message)?.[1] ?? 'unknown'}).`,
      {
        hint: 'Give the token with --auth-token or TURSO_AUTH_TOKEN (or ?authToken=), and drop other query parameters.',
        exitCode: ExitCode.usage,
        cause: error,
      },
    );
  }
  // HTTP answers 401/403; over WebSocket the server's hello_error carries an AUTH_ code.
  if (code.startsWith('AUTH_') || /HTTP status 401|HTTP status 403|unauthori[sz]ed|Authentication failed|Unexpected server response: 40[13]/i.test(message)) {
    return new UserError(`Authentication failed for ${where}: the server refused the auth token.`, {
      hint: 'Check --auth-token or TURSO_AUTH_TOKEN (create one with `turso db tokens create NAME`).',
      exitCode: ExitCode.usage,
      cause: error,
    });
  }
  if (
    /TimeoutError|aborted due to timeout|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|fetch failed|ECONNRESET|socket hang up|HRANA_WEBSOCKET_ERROR|WebSocket was closed/i.test(
      `${message} ${String((error as { cause?: unknown })?.cause ?? '')}`,
    )
  ) {
    return new UserError(`Cannot reach ${where}: ${shortNetworkReason(error)}.`, {
      hint: 'Check the URL and your network; the database was not changed.',
      exitCode: ExitCode.failed,
      cause: error,
    });
  }
  if (code.startsWith('SQLITE_BUSY') || /database is locked/i.test(message)) {
    return new UserError(`${where} is busy: another process holds a write lock on it.`, {
      hint: 'Stop the application services that write to it, or raise --busy-timeout, then run again.',
      exitCode: ExitCode.failed,
      cause: error,
    });
  }
  if (code.startsWith('SQLITE_NOTADB') || /file is not a database/i.test(message)) {
    return new UserError(`${where} is not a SQLite database (or it is encrypted).`, {
      hint: 'Pass the MCP Memory database file to --db.',
      exitCode: ExitCode.usage,
      cause: error,
    });
  }
  if (code.startsWith('SQLITE_CORRUPT') || /malformed/i.test(message)) {
    return new UserError(`${where} is corrupt: ${message.replace(/^(SQLITE_\w+: )+/, '')}.`, {
      hint: 'Restore it from a backup (schema-wizard restore --from BACKUP) before migrating.',
      exitCode: ExitCode.usage,
      cause: error,
    });
  }
  const extended = String((error as { extendedCode?: unknown } | null)?.extendedCode ?? '');
  if (extended === 'SQLITE_READONLY_DBMOVED' || /database file has been moved|DBMOVED/i.test(message)) {
    return new UserError(
      `${where} was moved or deleted while this run had it open: nothing more was written to it (a phase in flight was rolled back as a whole).`,
      {
        hint: 'Put the database back where --db says (or point --db at its new place), then run the command again; verify tells where things stand.',
        exitCode: ExitCode.failed,
        cause: error,
      },
    );
  }
  if (code.startsWith('SQLITE_READONLY') || /readonly database/i.test(message)) {
    return new UserError(`${where} is read-only: cannot write to it.`, {
      hint: 'Give this user write permission on the database file and its directory.',
      exitCode: ExitCode.usage,
      cause: error,
    });
  }
  if (code.startsWith('SQLITE_CANTOPEN')) {
    return new UserError(`Cannot open ${where}: ${message}.`, {
      hint: 'Check that the file and its directory are readable and writable by this user.',
      exitCode: ExitCode.usage,
      cause: error,
    });
  }
  if (failedSql && error instanceof Error && !error.message.includes('while running')) {
    const wrapped = new Error(`${message}${failedSql}`, { cause: error });
    (wrapped as { code?: string }).code = code || undefined;
    return wrapped;
  }
  return error instanceof Error ? error : new Error(message);
}

function shortNetworkReason(error: unknown): string {
  const text = `${messageOf(error)} ${messageOf((error as { cause?: unknown })?.cause ?? '')}`;
  if (/timeout/i.test(text)) return 'no answer before the timeout';
  if (/ECONNREFUSED/.test(text)) return 'connection refused';
  if (/ENOTFOUND|EAI_AGAIN/.test(text)) return 'host not found';
  if (/WebSocket was closed/i.test(text)) return 'the server closed the connection';
  return 'the connection failed';
}

/** A guard statement refused to commit: SQLite rolled the whole write back. */
function guardError(kind: GuardKind, where: string, cause: unknown): UserError {
  const said: Record<GuardKind, [string, string]> = {
    rows: [
      'row counts changed inside the write',
      'A trigger, a foreign key action or another writer changed rows during it: stop the application services, run schema-wizard plan, and fix what it names.',
    ],
    keys: [
      'not every prepared API key hash was written',
      'Another process changed users during the phase: stop the application services and run the command again.',
    ],
    collision: [
      'a row of the recreated table took the rowid of an archived row meanwhile',
      'Stop the application services, move the new rows aside (or restore from the backup), then roll back.',
    ],
  };
  return new UserError(`The write was refused before it could commit (${said[kind][0]}), so SQLite rolled it back: ${where} is as it was.`, {
    hint: said[kind][1],
    exitCode: ExitCode.failed,
    cause,
  });
}

/**
 * A remote write whose connection failed after it was sent: the server ran the whole batch or
 * none of it, and nothing here can tell which. Any other error passes through translated.
 */
export function writeError(error: unknown, target: Target, stmts: Stmt[]): Error {
  const translated = translateError(error, target, stmts);
  if (target.kind !== 'remote') return translated;
  const raw = `${messageOf(error)} ${codeOf(error) ?? ''}`;
  // Never sent: the host refused the connection or does not exist.
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(`${raw} ${messageOf((error as { cause?: unknown })?.cause ?? '')}`)) return translated;
  const lost = translated instanceof UserError && translated.message.startsWith('Cannot reach ');
  // A gateway's 5xx or a connection closed under the call: the request may have reached the server.
  const unanswered = /HTTP status 5\d\d|SERVER_ERROR|CLIENT_CLOSED|[Cc]lient (is|was manually) closed/.test(raw);
  if (!lost && !unanswered) return translated;
  const reason = lost ? translated.message.replace(/^Cannot reach .+?: /, '').replace(/\.$/, '') : messageOf(error).slice(0, 120);
  return Object.assign(
    new UserError(
      `The connection to ${target.display} failed while a write was in flight (${reason}): the server ran the whole write or none of it, and this run cannot tell which.`,
      {
        hint: 'Run schema-wizard plan (or verify) to see what is applied: the journal records every phase that committed.',
        exitCode: ExitCode.failed,
        cause: error,
      },
    ),
    { code: WRITE_OUTCOME_UNKNOWN },
  );
}

/**
 * Where the database is. Resolves --db / TURSO_URL into a validated target before any client is
 * created: the libSQL client would silently create an empty database for a missing path, so a
 * file target must exist, be a regular file and start with the SQLite header.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, type TargetKind, UserError } from '../model/index.js';
export type { TargetKind } from '../model/index.js';

export interface Target {
  kind: TargetKind;
  /** URL handed to the client (file:... or remote URL); never contains the token. */
  url: string;
  /** What we show people: an absolute path or a host. */
  display: string;
  /** The name an operator types to confirm: file name, or database name for remote URLs. */
  name: string;
  /** Absolute path for file targets. */
  path?: string;
  authToken?: string;
}

export interface TargetInput {
  db?: string;
  authToken?: string;
  env?: NodeJS.ProcessEnv;
  /** restore may write to a file that does not exist yet. */
  allowMissingFile?: boolean;
}

const REMOTE_SCHEMES = new Set(['libsql:', 'https:', 'http:', 'wss:', 'ws:']);
const SQLITE_HEADER = 'SQLite format 3\u0000';

export function resolveTarget(input: TargetInput): Target {
  const env = input.env ?? process.env;
  const raw = input.db ?? env.TURSO_URL;
  const authToken = input.authToken ?? env.TURSO_AUTH_TOKEN ?? undefined;
  if (!raw || raw.trim() === '') {
    throw new UserError('No database given.', {
      hint: 'Pass --db PATH_OR_URL, or set TURSO_URL (and TURSO_AUTH_TOKEN for Turso).',
    });
  }
  const value = raw.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase();
  // A Windows drive letter ("C:") is a path, not a scheme.
  if (scheme && scheme.length > 1) {
    if (scheme === 'file') return fileTarget(fileUrlToPath(value), input.allowMissingFile);
    if (REMOTE_SCHEMES.has(`${scheme}:`)) return remoteTarget(value, authToken);
    throw new UserError(`Unsupported URL scheme "${scheme}:".`, {
      hint: 'Use a file path, file:, libsql:, https:, http:, wss: or ws:.',
    });
  }
  return fileTarget(path.resolve(value), input.allowMissingFile);
}

/**
 * The client decodes percent-escapes in a file: URL, so a path is encoded segment by segment:
 * "x%41.db" stays x%41.db (not xA.db), and "?", "#", spaces and newlines stay in the name.
 */
export function fileUrlOf(absolute: string): string {
  return `file:${absolute.split('/').map(encodeURIComponent).join('/')}`;
}

/** A file: URL given by the operator: decoded once (URL rules); a query or fragment is refused, never ignored. */
function fileUrlToPath(value: string): string {
  const rest = value.slice('file:'.length);
  if (/[?#]/.test(rest)) {
    throw new UserError(
      `file: URLs with a query or fragment are not supported (${rest.replace(/^[^?#]*/, '')}): it would be ignored, and a mode=ro would not protect the file.`,
      {
        hint: 'Pass the plain path to --db (plan, verify, stats and smoke never write; apply, rollback and restore need --yes).',
        exitCode: ExitCode.usage,
      },
    );
  }
  try {
    if (value.startsWith('file://')) return fileURLToPath(value);
    return path.resolve(decodeURIComponent(rest));
  } catch {
    throw new UserError(`Not a valid file: URL: ${value}`, {
      hint: 'In a file: URL a % must be followed by two hex digits (%25 is "%"); or pass the plain path, which is never decoded.',
      exitCode: ExitCode.usage,
    });
  }
}

function fileTarget(absolute: string, allowMissing = false): Target {
  const base: Target = {
    kind: 'file',
    url: fileUrlOf(absolute),
    display: absolute,
    name: path.basename(absolute),
    path: absolute,
  };
  let stat: fs.Stats;
  try {
    stat = fs.statSync(absolute);
  } catch {
    if (allowMissing) return base;
    throw new UserError(`Database file not found: ${absolute}`, {
      hint: 'Check the path given to --db (schema-wizard never creates a database).',
    });
  }
  if (stat.isDirectory()) {
    throw new UserError(`${absolute} is a directory, not a database file.`, {
      hint: 'Pass the path of the .db file itself to --db.',
    });
  }
  if (!stat.isFile()) {
    throw new UserError(`${absolute} is not a regular file.`, { hint: 'Pass the path of a SQLite database file.' });
  }
  checkSqliteHeader(absolute, stat.size);
  return base;
}

function checkSqliteHeader(file: string, size: number): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const header = Buffer.alloc(16);
    const read = fs.readSync(fd, header, 0, 16, 0);
    if (size === 0 || read < 16 || header.toString('latin1') !== SQLITE_HEADER) {
      throw new UserError(`${file} is not a SQLite database.`, {
        hint: 'Pass the MCP Memory database file (it starts with "SQLite format 3").',
      });
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`Cannot read ${file}: ${(error as Error).message}`, {
      hint: 'Check the file permissions.',
      exitCode: ExitCode.usage,
    });
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function remoteTarget(value: string, authToken: string | undefined): Target {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UserError(`Not a valid database URL: ${redactUrl(value)}`, {
      hint: 'Use a URL like libsql://NAME-ORG.turso.io.',
    });
  }
  // A token in the URL (?authToken=) is moved to the client option so it never travels in text we print.
  const urlToken = url.searchParams.get('authToken') ?? undefined;
  url.searchParams.delete('authToken');
  url.username = '';
  url.password = '';
  const host = url.host;
  const name = host.split('.')[0].split(':')[0] || host;
  return {
    kind: 'remote',
    url: url.toString().replace(/\/$/, ''),
    display: `${url.protocol}//${host}`,
    name,
    authToken: authToken ?? urlToken,
  };
}

/**
 * Before a write: a file whose permission bits say read-only (or in a read-only directory) is
 * refused up front. Checked on the mode bits, not with access(2), because root may write
 * anyway and a file marked read-only is the operator's explicit "do not touch".
 */
export function assertWritableTarget(target: Target): void {
  if (target.kind !== 'file' || !target.path || !fs.existsSync(target.path)) return;
  const fileMode = fs.statSync(target.path).mode;
  const dir = path.dirname(target.path);
  const dirMode = fs.statSync(dir).mode;
  const readOnlyFile = (fileMode & 0o222) === 0;
  const readOnlyDir = (dirMode & 0o222) === 0;
  let denied = false;
  try {
    fs.accessSync(target.path, fs.constants.W_OK);
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    denied = true;
  }
  if (readOnlyFile || readOnlyDir || denied) {
    throw new UserError(
      `${readOnlyDir && !readOnlyFile ? `The directory ${dir}` : target.path} is read-only: schema-wizard needs to write the database and its journal file beside it; nothing was changed.`,
      { hint: `Make it writable (chmod u+w ${readOnlyDir && !readOnlyFile ? dir : target.path}) or work on a writable copy.`, exitCode: ExitCode.usage },
    );
  }
}

/** Query parameters whose values are credentials, whatever the service calls them. */
const CREDENTIAL_PARAM = /token|key|secret|pass|auth|sig|cred|jwt|bearer|session/i;

/**
 * A URL safe to print: any userinfo (user and password, whatever characters they hold: the
 * last "@" before the path ends it) becomes "***", credential-looking query values too, and a
 * fragment is dropped. Text that is not a URL comes back as it was.
 */
export function redactUrl(value: string): string {
  const parts = splitUserinfo(value);
  if (!parts) return value;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value)![0];
  const plain = parts.userinfo !== null ? `${scheme}***@${parts.rest.slice(scheme.length)}` : value;
  const q = plain.search(/[?#]/);
  if (q < 0) return plain;
  const query = plain.slice(q).replace(/#[^]*$/, '');
  return (
    plain.slice(0, q) +
    query.replace(/([?&])([^=&]*)=([^&]*)/g, (all, sep: string, key: string) => (CREDENTIAL_PARAM.test(decodeSafe(key)) ? `${sep}${key}=***` : all))
  );
}

/**
 * A URL's userinfo taken out: it ends at the last "@" before the query (a password may hold
 * "/", which URL parsers refuse there). Null when the text is not scheme://...; the user and
 * password come back raw (percent-escapes kept).
 */
export function splitUserinfo(value: string): { rest: string; user: string; password: string | null; userinfo: string | null } | null {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^]*)$/i.exec(value);
  if (!m) return null;
  const q = m[2].search(/[?#]/);
  const authorityAndPath = q >= 0 ? m[2].slice(0, q) : m[2];
  const at = authorityAndPath.lastIndexOf('@');
  if (at < 0) return { rest: value, user: '', password: null, userinfo: null };
  const userinfo = authorityAndPath.slice(0, at);
  const colon = userinfo.indexOf(':');
  return {
    rest: m[1] + m[2].slice(at + 1),
    user: colon >= 0 ? userinfo.slice(0, colon) : userinfo,
    password: colon >= 0 ? userinfo.slice(colon + 1) : null,
    userinfo,
  };
}

/** The secret parts of a URL (password, user, credential-looking query values), raw and decoded, for redaction. */
export function urlSecrets(value: string): string[] {
  const parts = splitUserinfo(value);
  if (!parts) return [];
  const found: string[] = [];
  if (parts.userinfo !== null) found.push(parts.userinfo, parts.user, ...(parts.password !== null ? [parts.password] : []));
  const query = /\?([^#]*)/.exec(value)?.[1] ?? '';
  for (const pair of query.split('&')) {
    const [key, val] = pair.split('=');
    if (key && val && CREDENTIAL_PARAM.test(decodeSafe(key))) found.push(val);
  }
  return [...new Set(found.flatMap((f) => [f, decodeSafe(f)]).filter((f) => f.length >= 3))];
}

/** decodeURIComponent, or the text as it is when it holds a stray "%". */
export function decodeSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The manifest beside every backup: what it holds (per-table rows and content hashes), the
 * file's own SHA-256, where it came from (never a token), which tool made it and when.
 */
import fs from 'node:fs';
import { ExitCode, type TargetSummary, UserError } from '../model/index.js';
import type { ContentDigest } from '../proof/index.js';
import { sha256File, writePrivateFile } from './files.js';
import path from 'node:path';

/** How the backup read the database: a page copy (local), the server's dump (one request), or page by page through the client, and why. */
export interface BackupRead {
  via: 'page-copy' | 'server-dump' | 'paged-reads';
  /** The server's dump was tried and not used: why (no endpoint, refused, truncated, did not match). */
  why?: string;
  /** Bytes of the server's dump. */
  bytes?: number;
  /** A page copy's pages: the file's own bytes (rollback-journal mode) or read through the engine (WAL mode, or when that failed). */
  pagesReadBy?: 'file' | 'engine';
}

export interface BackupManifest {
  tool: 'schema-wizard';
  toolVersion: string;
  format: 'db' | 'sql';
  file: string;
  bytes: number;
  sha256: string;
  createdAt: string;
  source: TargetSummary;
  rows: number;
  content: ContentDigest;
  schema: { tables: string[]; indexes: number; triggers: number; views: number };
  /** schemaDigest of the database backed up (manifests written before it existed lack it). */
  schemaSha256?: string;
  /** .db backups of this version: the record digest of every b-tree but the lock table's (indexes, journal, FTS shadows). */
  trees?: ContentDigest;
  /** .sql backups of this version: the value digest of our own tables (journal, archives). */
  bookkeeping?: ContentDigest;
  /** How the database was read (manifests written before it existed lack it). */
  read?: BackupRead;
  /**
   * Who wrote a .sql file's text: "server" is the server's own dump kept as it arrived (sqld's
   * format, loaded back by the same loader that proved it); absent, schema-wizard's own dump.
   */
  sqlWriter?: 'server';
}

export function manifestPath(backupFile: string): string {
  return `${backupFile}.json`;
}

export function checksumPath(backupFile: string): string {
  return `${backupFile}.sha256`;
}

export function writeManifest(backupFile: string, manifest: BackupManifest): void {
  writePrivateFile(manifestPath(backupFile), `${JSON.stringify(manifest, null, 2)}\n`);
  // sha256sum's format, so `sha256sum -c` works too.
  writePrivateFile(checksumPath(backupFile), `${manifest.sha256}  ${path.basename(backupFile)}\n`);
}

/**
 * Reads the manifest and proves the file is the one it describes (size and SHA-256, and the
 * .sha256 file agrees). A truncated or altered backup is refused before any target is touched.
 */
export async function readVerifiedManifest(backupFile: string): Promise<BackupManifest> {
  if (!fs.existsSync(backupFile)) {
    throw new UserError(`Backup not found: ${backupFile}`, { hint: 'Pass the .db or .sql file written by `schema-wizard backup` to --from.' });
  }
  if (!fs.statSync(backupFile).isFile()) {
    throw new UserError(`${backupFile} is not a backup file.`, { hint: 'Pass the .db or .sql file written by `schema-wizard backup` to --from.' });
  }
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestPath(backupFile), 'utf8')) as BackupManifest;
  } catch {
    throw new UserError(`No readable manifest beside ${backupFile} (expected ${path.basename(manifestPath(backupFile))}).`, {
      hint: 'Restore only backups made by schema-wizard, with their .json manifest and .sha256 file beside them.',
    });
  }
  const problem = manifestProblem(manifest);
  if (problem) {
    throw new UserError(`The manifest beside ${backupFile} is not a schema-wizard manifest (${problem}); nothing was touched.`, {
      hint: 'Restore only backups made by schema-wizard, with the .json manifest written beside them.',
      exitCode: ExitCode.failed,
    });
  }
  const looksLike = fileFormat(backupFile);
  if (looksLike !== manifest.format) {
    throw new UserError(
      `${backupFile} is a ${looksLike === 'db' ? 'SQLite database file' : 'SQL text file'}, but its manifest says format "${manifest.format}": one of them was altered. Nothing was touched.`,
      {
        hint: 'Use another backup; this one cannot be trusted.',
        exitCode: ExitCode.failed,
      },
    );
  }
  const bytes = fs.statSync(backupFile).size;
  const sha256 = await sha256File(backupFile);
  const listed = fs.existsSync(checksumPath(backupFile)) ? fs.readFileSync(checksumPath(backupFile), 'utf8').trim().split(/\s+/)[0] : null;
  const sumOfRows = Object.values(manifest.content.tables).reduce((n, t) => n + t.rows, 0);
  if (sumOfRows !== manifest.rows) {
    throw new UserError(
      `The manifest beside ${backupFile} says ${manifest.rows} rows, but its own per-table counts add up to ${sumOfRows}: it was altered. Nothing was touched.`,
      {
        hint: 'Use another backup; this one cannot be trusted.',
        exitCode: ExitCode.failed,
      },
    );
  }
  if (bytes !== manifest.bytes || sha256 !== manifest.sha256 || (listed !== null && listed !== sha256)) {
    throw new UserError(
      `Backup ${backupFile} does not match its manifest (${bytes} bytes, sha256 ${sha256.slice(0, 12)}…; expected ${manifest.bytes} bytes, ${manifest.sha256.slice(0, 12)}…): it is truncated or altered. Nothing was touched.`,
      { hint: 'Use another backup; this one cannot be trusted.', exitCode: ExitCode.failed },
    );
  }
  return manifest;
}

/** What is wrong with a parsed manifest, in words; null when it has every field restore relies on. */
function manifestProblem(m: unknown): string | null {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return 'not a JSON object';
  const o = m as Record<string, unknown>;
  if (o.tool !== 'schema-wizard') return 'no "tool": "schema-wizard"';
  if (o.format !== 'db' && o.format !== 'sql') return `format ${JSON.stringify(o.format)}`;
  if (o.sqlWriter !== undefined && (o.sqlWriter !== 'server' || o.format !== 'sql')) return `sqlWriter ${JSON.stringify(o.sqlWriter)}`;
  if (typeof o.bytes !== 'number' || typeof o.sha256 !== 'string' || typeof o.rows !== 'number') return 'bytes, sha256 or rows missing';
  const content = o.content as Record<string, unknown> | null | undefined;
  if (!content || typeof content !== 'object' || typeof content.sha256 !== 'string' || !content.tables || typeof content.tables !== 'object')
    return 'no content digest';
  for (const [table, digest] of Object.entries(content.tables as Record<string, unknown>)) {
    const d = digest as Record<string, unknown> | null;
    if (!d || typeof d.rows !== 'number' || typeof d.sha256 !== 'string') return `no digest for table ${table}`;
  }
  return null;
}

/** What the file is, by its first bytes: a SQLite database or SQL text. */
function fileFormat(file: string): 'db' | 'sql' {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(16);
    const n = fs.readSync(fd, head, 0, 16, 0);
    return n === 16 && head.toString('latin1') === 'SQLite format 3\u0000' ? 'db' : 'sql';
  } finally {
    fs.closeSync(fd);
  }
}

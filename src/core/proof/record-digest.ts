/**
 * The content proof of a local database file, read from its b-tree pages instead of its values.
 * Each table's rows are walked in key order (tree-walk.ts) inside one read transaction (so a WAL
 * file is read as of one snapshot), and every row's rowid and record bytes (SQLite's own
 * encoding of the values, overflow pages included) are fed to one SHA-256.
 *
 * Who reads the pages: in rollback-journal mode a child process reads the file's bytes
 * (digest-child.ts) while this connection holds the read lock, so no commit can change them; in
 * WAL mode (committed pages may still sit in the -wal file), or when the child cannot be used,
 * the walk reads them through the engine (`sqlite_dbpage`), about twice as slow in all.
 *
 * Why not read the values: SQLite builds a whole value in memory on any read of it (substr()
 * too), and the driver copies it again into JS, so one 400 MB value costs more than 800 MB of
 * RSS. Pages are 4-64 KB whatever the rows hold, and nothing is decoded, which is also faster.
 *
 * Two digests of this kind are equal exactly when the tables hold the same rows with the same
 * rowids and the same record bytes. They are not comparable with the value digests of
 * content-hash.ts (remote databases, SQL dumps): a digest says which kind it is.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type Database from 'libsql';
import { compiledModule, openExistingFile, sameName } from '../db/index.js';
import { combine, type ContentDigest, type TableDigest } from './content-hash.js';
import { FILE_HOLDS_EVERYTHING, headerCounters, journalModeOf } from './locked-file.js';
import { damaged, digestTrees, geometryOf, type PageReader } from './tree-walk.js';

export const RECORDS = 'records' as const;

/** The record digest of the named tables (exact names as in sqlite_schema), under one read transaction. */
export function recordDigestOfFile(file: string, tableNames: string[], onRows?: (rows: number) => void, onReader?: ReaderSeen): Promise<ContentDigest> {
  return digestFile(file, (roots) => tableNames.map((name) => [name, roots.tables.get(name)]), onRows, onReader);
}

/** Who read the pages: a child reading the file, or the engine (and why, when the file could not be read). */
export type ReaderSeen = (by: 'file' | 'engine', why?: string) => void;

/**
 * Every b-tree of the file (tables, indexes, FTS shadow tables, bookkeeping) except those of
 * `exceptTable` and its indexes: what a backup's manifest records so that a restore can tell
 * that not one entry of any of them was altered afterwards (an index entry, a journal row).
 */
export function allTreesDigestOfFile(file: string, exceptTable: string, onRows?: (rows: number) => void, onReader?: ReaderSeen): Promise<ContentDigest> {
  return digestFile(file, (roots) => [...roots.all].filter(([, r]) => !sameName(r.table, exceptTable)).map(([name, r]) => [name, r.root]), onRows, onReader);
}

interface Roots {
  tables: Map<string, number>;
  all: Map<string, { root: number; table: string }>;
}

async function digestFile(
  file: string,
  pick: (roots: Roots) => [string, number | undefined][],
  onRows?: (rows: number) => void,
  onReader?: ReaderSeen,
): Promise<ContentDigest> {
  // The file at the path before the connection opens it, and again once its lock is held: the
  // same inode both times is the file the lock is on, the one the child must read.
  const before = inodeOf(file);
  const conn = openExistingFile(file);
  try {
    conn.exec('BEGIN');
    try {
      const roots: Roots = { tables: new Map(), all: new Map() };
      // The first read starts the transaction: every page read below sees this one state.
      for (const row of conn.prepare('SELECT type, name, tbl_name, rootpage FROM sqlite_schema WHERE rootpage > 0').raw(true).all() as unknown[][]) {
        if (String(row[0]) === 'table') roots.tables.set(String(row[1]), Number(row[3]));
        roots.all.set(String(row[1]), { root: Number(row[3]), table: String(row[2]) });
      }
      // The schema table itself (page 1): every CREATE text, our own tables' included, so a
      // backup whose DDL was edited (a column given a DEFAULT, a generated column) does not match.
      roots.all.set('sqlite_schema', { root: 1, table: 'sqlite_schema' });
      const trees: [string, number][] = [];
      for (const [name, root] of pick(roots).sort((a, b) => a[0].localeCompare(b[0]))) {
        if (!root) throw damaged(file, `table ${name} has no b-tree`);
        trees.push([name, root]);
      }
      const pageCount = Number((conn.prepare('PRAGMA page_count').raw(true).get() as unknown[])[0]);
      // Rows reported so far: a walk through the engine after a child that failed half-way goes on from there.
      let reported = 0;
      const counted = (rows: number) => {
        if (rows <= reported) return;
        onRows?.(rows - reported);
        reported = rows;
      };
      const locked = inodeOf(file);
      let fromFile: Outcome;
      if (!FILE_HOLDS_EVERYTHING.has(journalModeOf(conn))) fromFile = { why: 'WAL mode' };
      else if (!locked || locked !== before) fromFile = { why: 'another file took its path' };
      else fromFile = await digestInChild(conn, file, locked, trees, pageCount, counted);
      if ('tables' in fromFile) {
        // The path must still name the file the lock is on: the child opened it by that path.
        if (inodeOf(file) === locked) {
          onReader?.('file');
          return { kind: RECORDS, tables: fromFile.tables, sha256: combine(fromFile.tables) };
        }
        fromFile = { why: 'another file took its path' };
      }
      onReader?.('engine', fromFile.why);
      let walked = 0;
      const engine = engineReader(conn, file);
      const tables = digestTrees(engine, geometryOf(engine.read(1), pageCount), trees, file, (n) => counted((walked += n)));
      return { kind: RECORDS, tables, sha256: combine(tables) };
    } finally {
      conn.exec('ROLLBACK');
    }
  } finally {
    conn.close();
  }
}

function engineReader(conn: Database.Database, file: string): PageReader {
  // (The driver's pluck() does not apply to get(): raw rows, first cell.)
  const page = conn.prepare('SELECT data FROM sqlite_dbpage WHERE pgno = ?').raw(true);
  return {
    read(pgno) {
      const data = (page.get(pgno) as unknown[] | undefined)?.[0];
      if (!Buffer.isBuffer(data)) throw damaged(file, `page ${pgno} is missing`);
      return data;
    },
  };
}

/** What the child prints, its lines merged. */
interface ChildDigest {
  rows?: number;
  tables?: Record<string, TableDigest>;
  headerAtStart?: string;
  headerAtEnd?: string;
  damaged?: string;
}

function inodeOf(file: string): string | null {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  return stat ? `${stat.dev}:${stat.ino}` : null;
}

type Outcome = { tables: Record<string, TableDigest> } | { why: string };

/**
 * The walk done by a child reading the file (the caller's connection holds the read lock), or
 * why its result cannot be used (the caller then walks through the engine). Damage is said only
 * by the engine's walk: a child that reports it (or a short read on a file system that does such
 * things) is walked again through the engine, which reads the very pages SQLite reads.
 */
async function digestInChild(
  conn: Database.Database,
  file: string,
  inode: string,
  trees: [string, number][],
  pageCount: number,
  onRows: (rows: number) => void,
): Promise<Outcome> {
  const header = headerCounters(conn);
  const script = fileURLToPath(compiledModule(new URL('./digest-child.js', import.meta.url), 'core/proof/digest-child.js'));
  const said = await new Promise<ChildDigest | { why: string }>((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(process.execPath, [script, file, inode], {
        stdio: ['pipe', 'pipe', 'pipe'],
        windowsHide: true,
        // A group of its own, as the copy's (page-copy.ts): a signal meant for the CLI is the run's to act on.
        detached: true,
      });
    } catch (error) {
      resolve({ why: `the walk could not start (${(error as Error).message})` });
      return;
    }
    let out = '';
    let err = '';
    let last: ChildDigest = {};
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (err += text).length > 4_000 && (err = err.slice(0, 4_000)));
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      out += text;
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const line of lines) {
        try {
          last = { ...last, ...(JSON.parse(line) as ChildDigest) };
        } catch {
          continue;
        }
        if (typeof last.rows === 'number') onRows(last.rows);
      }
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(`${JSON.stringify({ trees, pageCount, display: file })}\n`);
    // A child that cannot start reports 'error' and then 'close': settled once, at 'close'.
    child.once('error', () => undefined);
    child.once('close', (code, signal) =>
      resolve(code === 0 ? last : { why: `the walk failed (${err.trim().slice(0, 160) || (signal ? `killed by ${signal}` : `exit ${code}`)})` }),
    );
  });
  if ('why' in said) return said;
  if (said.damaged) return { why: said.damaged };
  // Every commit moves the change counter: equal before, at the start and at the end of the walk,
  // no writer got past the lock (a file system without working locks would let one).
  if (!said.tables || said.headerAtStart !== header || said.headerAtEnd !== header)
    return { why: 'the file changed while it was read (does its file system honour locks?)' };
  return { tables: said.tables };
}

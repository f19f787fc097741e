/**
 * Loads a SQL dump through the client, streaming: the file is read in blocks, split into
 * statements as they complete, and sent in bounded batches (each one transaction with foreign
 * keys off). The dump's own BEGIN/COMMIT and PRAGMA lines are ours to manage, so they are skipped.
 */
import fs from 'node:fs';
import type { Db, Stmt } from '../db.js';
import { releaseStatements } from '../memory.js';
import { StatementReader } from '../sql-text.js';

const SKIP = /^(BEGIN(\s+TRANSACTION)?|COMMIT|END(\s+TRANSACTION)?|PRAGMA\s+foreign_keys\s*=\s*\w+)$/i;
const MAX_BATCH_STATEMENTS = 2_000;
const MAX_BATCH_CHARS = 8 << 20;

export async function loadDump(db: Db, file: string, onProgress?: (bytes: number, statements: number) => void): Promise<number> {
  const reader = new StatementReader();
  let batch: Stmt[] = [];
  let chars = 0;
  let statements = 0;
  let bytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await db.load(batch);
    releaseStatements();
    statements += batch.length;
    batch = [];
    chars = 0;
    onProgress?.(bytes, statements);
  };
  const add = async (sql: string) => {
    if (SKIP.test(sql)) return;
    batch.push({ sql });
    chars += sql.length;
    if (batch.length >= MAX_BATCH_STATEMENTS || chars >= MAX_BATCH_CHARS) await flush();
  };
  for await (const chunk of fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    bytes += Buffer.byteLength(chunk as string);
    for (const sql of reader.feed(chunk as string)) await add(sql);
  }
  const rest = reader.end();
  if (rest !== null) await add(rest);
  await flush();
  return statements;
}

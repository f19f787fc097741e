/**
 * Opens a local database file through the engine directly, only if it is still there: the
 * engine would create an empty database for a path that no longer exists (moved or deleted
 * mid-run) and then report a missing table. Readers in worker threads and row streams use it.
 */
import fs from 'node:fs';
import Database from 'libsql';
import { ExitCode, UserError } from '../model/index.js';

export function openExistingFile(path: string): Database.Database {
  if (!fs.existsSync(path)) {
    throw new UserError(`${path} was moved or deleted while this run had it open: nothing more was written to it.`, {
      hint: 'Put the database back where --db says (or point --db at its new place), then run the command again.',
      exitCode: ExitCode.failed,
    });
  }
  return new Database(path, { timeout: 5_000 });
}

/** A private scratch database the engine creates (a dump loaded for checking); the caller removes it. */
export function createScratchFile(path: string): Database.Database {
  return new Database(path);
}

/**
 * How apply and rollback take their automatic backup, behind a small interface so the engine
 * does not care whether it is a file copy or a streamed dump (Atlas's Snapshoter idea).
 */
import type { Db } from '../db/index.js';
import type { ContentDigest } from '../proof/index.js';
import type { BackupRef, Emit, Snapshot } from '../model/index.js';

export interface BackupProvider {
  /** Checks the destination (exists, writable) before anything is written to the database. */
  prepare(): Promise<void>;
  /**
   * Takes and verifies a backup; throws (leaving no partial file) when it cannot. Returns the
   * source's content digest too, which the journal keeps as the data "before".
   */
  take(db: Db, snapshot: Snapshot, emit: Emit): Promise<{ ref: BackupRef; digest: ContentDigest }>;
}

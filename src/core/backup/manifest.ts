/**
 * The manifest beside every backup: what it holds (per-table rows and content hashes), the
 * file's own SHA-256, where it came from (never a token), which tool made it and when.
 */
import fs from 'node:fs';
import { ExitCode, UserError } from '../errors.js';
import type { ContentDigest } from '../content-hash.js';
import type { TargetSummary } from '../events.js';
import { sha256File, writePrivateFile } from './files.js';
import path from 'node:path';

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
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestPath(backupFile), 'utf8')) as BackupManifest;
  } catch {
    throw new UserError(`No readable manifest beside ${backupFile} (expected ${path.basename(manifestPath(backupFile))}).`, {
      hint: 'Restore only backups made by schema-wizard, with their .json manifest and .sha256 file beside them.',
    });
  }
  const bytes = fs.statSync(backupFile).size;
  const sha256 = await sha256File(backupFile);
  const listed = fs.existsSync(checksumPath(backupFile)) ? fs.readFileSync(checksumPath(backupFile), 'utf8').trim().split(/\s+/)[0] : null;
  if (bytes !== manifest.bytes || sha256 !== manifest.sha256 || (listed !== null && listed !== sha256)) {
    throw new UserError(
      `Backup ${backupFile} does not match its manifest (${bytes} bytes, sha256 ${sha256.slice(0, 12)}…; expected ${manifest.bytes} bytes, ${manifest.sha256.slice(0, 12)}…): it is truncated or altered. Nothing was touched.`,
      { hint: 'Use another backup; this one cannot be trusted.', exitCode: ExitCode.failed },
    );
  }
  return manifest;
}

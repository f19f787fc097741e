/**
 * File helpers for backups: guide-style names, private files (0600: they hold user data and
 * key hashes), fsync, and SHA-256 of a file by streaming.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, UserError } from '../model/index.js';

/** backup-YYYYMMDD-HHMMSS, like the guide's `backup-$(date +%Y%m%d-%H%M%S)`, in local time. */
export function backupBaseName(now: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `backup-${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
}

/** A name in `dir` that does not exist yet (a second backup in the same second gets -2, -3 ...). */
export function freshBackupPath(dir: string, ext: 'db' | 'sql', now: Date = new Date()): string {
  const base = backupBaseName(now);
  for (let i = 1; ; i++) {
    const candidate = path.join(dir, `${base}${i === 1 ? '' : `-${i}`}.${ext}`);
    if (!fs.existsSync(candidate)) return candidate;
  }
}

/** Checks that `dir` exists (creating it) and is writable, before anything touches the database. */
export function ensureWritableDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const probe = path.join(dir, `.schema-wizard-probe-${process.pid}`);
    fs.writeFileSync(probe, '', { mode: 0o600 });
    fs.rmSync(probe);
  } catch (error) {
    throw new UserError(`Backup directory ${path.resolve(dir)} is not writable: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, {
      hint: 'Choose a writable directory with --backup-dir DIR (or fix its permissions); nothing was changed.',
      exitCode: ExitCode.usage,
      cause: error,
    });
  }
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function writePrivateFile(file: string, content: string): void {
  const fd = fs.openSync(file, 'w', 0o600);
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.chmodSync(file, 0o600);
}

export function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Makes a rename durable: fsync the directory that holds the entry. */
export function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on directories; the rename itself is still atomic.
  }
}

export function removeQuietly(...files: string[]): void {
  for (const f of files) fs.rmSync(f, { force: true });
}

/** A database file's companions, which must never outlive it or meet another database. */
export const SIDE_FILES = ['-wal', '-shm', '-journal'] as const;

export function removeSideFiles(database: string): void {
  removeQuietly(...SIDE_FILES.map((s) => database + s));
}

/** A database file and its companions (a partial copy that failed). */
export function removeDatabaseFiles(database: string): void {
  removeQuietly(database);
  removeSideFiles(database);
}

/** The disk-full / permission errors people hit while writing backups, as sentences. */
export function backupWriteError(file: string, error: unknown): UserError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === 'ENOSPC' ? 'the disk is full' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (error as Error).message;
  return new UserError(`Backup failed while writing ${file}: ${reason}. The partial file was removed and the database was not changed.`, {
    hint: code === 'ENOSPC' ? 'Free space or choose another --backup-dir, then run again.' : 'Choose another --backup-dir, then run again.',
    exitCode: ExitCode.failed,
    cause: error,
  });
}

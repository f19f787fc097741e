/** Turns --backup-dir / --no-backup into the engine's automatic-backup provider. */
import { backupProvider } from '../core/backup/take.js';
import type { BackupProvider } from '../core/engine/backup-provider.js';
import { TOOL_VERSION } from '../core/model/version.js';
import type { CommandLine } from './args.js';

export function automaticBackup(cli: CommandLine): BackupProvider | null {
  if (cli.noBackup) return null;
  return backupProvider({ dir: cli.backupDir, toolVersion: TOOL_VERSION });
}

/** Turns --backup-dir / --no-backup into the engine's automatic-backup provider. */
import { backupProvider, TOOL_VERSION, type BackupProvider } from '../core/index.js';
import type { CommandLine } from './args.js';

export function automaticBackup(cli: CommandLine): BackupProvider | null {
  if (cli.noBackup) return null;
  return backupProvider({ dir: cli.backupDir, toolVersion: TOOL_VERSION });
}

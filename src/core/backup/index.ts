/**
 * backup/: Backups: take and verify a page copy or SQL dump, its manifest, load a dump, restore
 * behind its guards. May import model, sql, db, proof and engine.
 * This index is what other stages and the core entry may use; files inside the stage import
 * each other directly (dependency rules: .dependency-cruiser.cjs).
 */
export { backupBaseName, writePrivateFile } from './files.js';
export { restoreBackup } from './restore.js';
export { backupProvider, takeBackup } from './take.js';

/**
 * The guide's production checklist as the wizard walks it: what the tool does itself, and the
 * few things only a person can confirm.
 */
export const CHECKLIST = [
  { id: 'preflight', label: 'Connect and pre-flight' },
  { id: 'stats-before', label: 'Check current stats' },
  { id: 'dry-run', label: 'Dry run: preview the plan' },
  { id: 'ops-before', label: 'Team notified, application services stopped' },
  // After the services stopped: the backup is the last read before the first write.
  { id: 'backup', label: 'Backup database' },
  { id: 'confirm', label: 'Confirm the database' },
  { id: 'phase1', label: 'Apply Phase 1' },
  { id: 'verify1', label: 'Verify Phase 1' },
  { id: 'phase2', label: 'Apply Phase 2' },
  { id: 'verify2', label: 'Verify Phase 2' },
  { id: 'smoke', label: 'Smoke tests' },
  { id: 'stats-after', label: 'Check final stats' },
  { id: 'ops-after', label: 'Services started, logs and performance watched' },
  { id: 'complete', label: 'Write the maintenance-window report' },
] as const;

/** Steps that run only when the operator asks for a recovery (they are not in the guide's list). */
export const RECOVERY_ITEMS = [
  { id: 'rollback', label: 'Roll back' },
  { id: 'restore', label: 'Restore from the backup' },
] as const;

export type ChecklistId = (typeof CHECKLIST)[number]['id'] | (typeof RECOVERY_ITEMS)[number]['id'];

export function labelOf(id: ChecklistId): string {
  return [...CHECKLIST, ...RECOVERY_ITEMS].find((c) => c.id === id)!.label;
}

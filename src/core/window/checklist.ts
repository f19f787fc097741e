/**
 * The guide's production checklist as the wizard walks it: what the tool does itself, and the
 * few things only a person can confirm.
 */
export const CHECKLIST = [
  { id: 'preflight', label: 'Connect and pre-flight' },
  { id: 'backup', label: 'Backup database' },
  { id: 'stats-before', label: 'Check current stats' },
  { id: 'dry-run', label: 'Dry run: preview the plan' },
  { id: 'ops-before', label: 'Team notified, application services stopped' },
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

export type ChecklistId = (typeof CHECKLIST)[number]['id'];

export function labelOf(id: ChecklistId): string {
  return CHECKLIST.find((c) => c.id === id)!.label;
}

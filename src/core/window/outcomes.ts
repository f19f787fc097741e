/** How the maintenance window can end, and how each ending reads to the operator (never the internal name). A leaf. */
export type WindowOutcome = 'complete' | 'quit' | 'rolled-back' | 'restored' | 'interrupted';

export const OUTCOME_WORDS: Record<WindowOutcome, string> = {
  complete: 'Migration complete',
  quit: 'Migration stopped by the operator',
  'rolled-back': 'Migration rolled back',
  restored: 'Database restored from the backup',
  interrupted: 'Migration interrupted',
};

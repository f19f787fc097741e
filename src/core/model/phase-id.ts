/** The guide's two phases, by name: the one type every stage uses to say which phase. A leaf. */
export type PhaseId = 'phase1' | 'phase2';

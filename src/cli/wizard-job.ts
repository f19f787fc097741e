/** What the wizard's core thread starts with: the command line (the auth token included: memory only) and where reports go. */
import type { CommandLine } from './args.js';

export interface WizardJob {
  cli: CommandLine;
  reportDir: string;
}

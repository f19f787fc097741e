/**
 * The Ink screen is a separate front end (src/ui). The CLI never imports it: the entry point
 * (bin/schema-wizard.js) hands it over, loaded only when the interactive wizard starts, so the
 * headless commands never load ink or react and the two front ends stay apart.
 */
import type { CoreChannel } from '../core/protocol.js';

export type ShowWizard = (channel: CoreChannel, signal?: AbortSignal) => Promise<number>;

export interface Screens {
  wizard?: () => Promise<ShowWizard>;
}

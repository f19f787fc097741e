/** `restore --from PATH`: checks the backup, then replaces the target atomically; needs --yes. */
import { assertWritableTarget, makeEmitter, resolveTarget, restoreBackup, UserError } from '../../core/index.js';
import type { CommandHandler } from '../command.js';
import { confirmWrite } from '../confirm.js';
import { progressLine } from '../progress.js';

export const restoreCommand: CommandHandler = async (cli, output, signal) => {
  if (!cli.from)
    throw new UserError('restore needs --from PATH (a .db or .sql backup).', {
      hint: 'Example: schema-wizard restore --from backups/backup-20250101-120000.db --db memory.db --yes',
    });
  const target = resolveTarget({ db: cli.db, authToken: cli.authToken, allowMissingFile: true });
  assertWritableTarget(target);
  output.addSecret(target.authToken);
  await confirmWrite(cli.yes, `replace ${target.display} with ${cli.from}`, target.name);
  const emit = makeEmitter((event) => {
    const line = progressLine(event);
    if (line) output.err(line);
  });
  const result = await restoreBackup({
    from: cli.from,
    target,
    replace: cli.replace,
    emit,
    discardNewer: cli.discardNewer,
    forceOtherDatabase: cli.forceOtherDatabase,
    signal,
  });
  return {
    exitCode: 0,
    json: {
      from: result.from,
      target: result.target,
      rows: result.rows,
      contentSha256: result.manifest.content.sha256,
      verified: true,
      replacedKeptAt: result.replacedKeptAt,
    },
    text: [
      `Restored ${result.target} from ${result.from}: ${result.rows} rows, content hashes equal to the backup's manifest.`,
      result.replacedKeptAt ? `The database it replaced is kept, whole, at ${result.replacedKeptAt}; remove it (rm) once you no longer need it.` : '',
    ]
      .filter(Boolean)
      .join('\n'),
  };
};

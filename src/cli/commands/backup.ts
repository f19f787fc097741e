/** `backup`: a verified backup now (db copy for files, SQL dump for remote or --format sql). */
import { backupStep, formatBytes, inspect, takeBackup, takeSnapshot, TOOL_VERSION } from '../../core/index.js';
import type { CommandHandler } from '../command.js';
import { openContext } from '../context.js';

export const backupCommand: CommandHandler = async (cli, output, signal, state) => {
  const ctx = await openContext(cli, output, signal, state);
  try {
    await inspect(ctx.session);
    const { ref, manifest } = await backupStep(ctx.session, async () =>
      takeBackup(
        ctx.session.db,
        await takeSnapshot(ctx.session.db),
        { dir: cli.backupDir, out: cli.out, format: cli.format, toolVersion: TOOL_VERSION, thorough: cli.thorough },
        ctx.session.emit,
      ),
    );
    return {
      exitCode: 0,
      json: { backup: ref, manifest: `${ref.path}.json`, rows: manifest.rows, contentSha256: manifest.content.sha256 },
      text: [
        `Backup: ${ref.path}`,
        `Format: ${ref.format}, ${formatBytes(ref.bytes)}, ${manifest.rows} rows in ${Object.keys(manifest.content.tables).length} tables`,
        `Verified: ${ref.format === 'db' ? 'integrity_check ok, ' : 'loaded into a scratch database, '}row counts and content hashes equal to the source`,
        `SHA-256: ${ref.sha256} (also in ${ref.path}.sha256; manifest ${ref.path}.json)`,
        `Restore: schema-wizard restore --from ${ref.path} --db ${ctx.target.kind === 'file' ? ctx.target.display : 'URL'} --yes`,
      ].join('\n'),
    };
  } finally {
    ctx.close();
  }
};

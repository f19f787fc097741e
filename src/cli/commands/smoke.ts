/** `smoke`: the five production smoke tests in a rolled-back transaction (+ optional health check). */
import { ExitCode, runSmoke, UserError } from '../../core/index.js';
import type { CommandHandler } from '../command.js';
import { openContext } from '../context.js';
import { smokeMark } from '../progress.js';

export const smokeCommand: CommandHandler = async (cli, output, signal, state) => {
  let apiKey: string | undefined;
  if (cli.apiKeyEnv) {
    apiKey = process.env[cli.apiKeyEnv];
    if (!apiKey)
      throw new UserError(`Environment variable ${cli.apiKeyEnv} is empty or unset.`, {
        hint: `Export the application's API key in ${cli.apiKeyEnv}, or drop --api-key-env.`,
      });
    output.addSecret(apiKey);
  }
  const ctx = await openContext(cli, output, signal, state);
  try {
    const report = await runSmoke(ctx.session, {
      healthUrl: cli.healthUrl,
      apiKey,
      onTest: (t) => output.err(`${smokeMark(t.status)} ${t.name} (${t.ms} ms)`),
    });
    return {
      exitCode: report.ok ? ExitCode.ok : ExitCode.verificationFailed,
      json: { ok: report.ok, tests: report.tests },
      text: [
        ...report.tests.map((t) => `${smokeMark(t.status)} ${t.name} (${t.ms} ms): ${t.detail}`),
        '',
        report.ok ? 'All smoke tests passed; their writes were rolled back.' : 'Smoke tests FAILED; their writes were rolled back.',
      ].join('\n'),
    };
  } finally {
    ctx.close();
  }
};

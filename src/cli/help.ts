/**
 * The --help text, drawn from the flag table (flags.ts): every command, every flag, and which
 * commands take it. Nothing here is kept in step by hand.
 */
import { COMMAND_FLAGS, COMMAND_HELP, COMMANDS, COMMON, FLAGS, type FlagName } from './flags.js';

const WIDTH = 100;
const LABEL = 25;

function flagLabel(name: FlagName): string {
  const spec = FLAGS[name] as { short?: string; value?: string };
  return `--${name}${spec.value ? ` ${spec.value}` : ''}${spec.short ? `, -${spec.short}` : ''}`;
}

/** Which commands take a flag, when not all do: "[plan, apply, wizard]". */
function takers(name: FlagName): string {
  if ((COMMON as readonly string[]).includes(name)) return '';
  const by = COMMANDS.filter((c) => COMMAND_FLAGS[c].includes(name));
  return ` [${by.join(', ')}]`;
}

/** A two-column line: the label, then text wrapped to WIDTH under its own column. */
function row(label: string, text: string): string[] {
  const words = text.split(' ');
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && LABEL + 2 + line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  const indent = ' '.repeat(LABEL + 2);
  // A label too long for its column gets a line of its own.
  const head = label.length <= LABEL - 2 ? [`  ${label.padEnd(LABEL)}${lines.shift()}`] : [`  ${label}`];
  return [...head, ...lines.map((l) => `${indent}${l}`)];
}

export function helpText(): string {
  const others = (Object.keys(FLAGS) as FlagName[]).filter((f) => !(COMMON as readonly string[]).includes(f));
  return [
    'schema-wizard: guided, verified, reversible schema optimization of an MCP Memory database',
    "(libSQL file or Turso), following the migration guide's two phases.",
    '',
    'Usage',
    ...row('npx schema-wizard [--db PATH|URL]', 'the interactive wizard (a terminal is required)'),
    ...row('npx schema-wizard --demo', 'the wizard on a generated demo database'),
    ...row('schema-wizard <command> [flags]', 'headless steps for scripts and CI'),
    '',
    'Commands',
    ...COMMANDS.filter((c) => c !== 'wizard').flatMap((c) => row(c, COMMAND_HELP[c as Exclude<typeof c, 'wizard'>])),
    '',
    'Every command',
    ...COMMON.flatMap((f) => row(flagLabel(f), FLAGS[f].help)),
    '',
    'Flags (the commands that take each; any other command refuses it)',
    ...others.flatMap((f) => row(flagLabel(f), `${FLAGS[f].help}${takers(f)}`)),
    '',
    'Exit codes',
    '  0 done   1 failed (nothing half-applied)   2 usage or bad input   3 verification failed',
    '  wizard: 4 quit before any write   5 quit after a phase   6 rolled back or restored',
    '  130 interrupted (143 SIGTERM, 129 SIGHUP)',
    '',
  ].join('\n');
}

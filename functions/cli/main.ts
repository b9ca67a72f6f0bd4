import { parseArgs } from 'node:util';
import { redactText } from '../../shared/endpoints/redact.js';
import { PathGuardError, UserInputError } from '../../shared/errors.js';
import { displayText } from '../../shared/text/escape.js';
import type { CliIo, CommandEntry, CommandInfo } from './command.js';
import { commands } from './commands/index.js';
import { VERSION } from './version.js';

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

function topHelp(): string {
  const width = Math.max(...commands.map((c) => c.path.join(' ').length));
  const rows = commands.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`);
  return [
    'pathguard: prove that S3 traffic stays on the private VPC-endpoint path',
    '',
    'Usage: pathguard <command> [options]',
    '',
    'Commands:',
    ...rows,
    '',
    'Options:',
    '  -h, --help     help for pathguard or a command',
    '  -v, --version  print the version',
    '',
    "Run 'pathguard <command> --help' for a command's options.",
    '',
  ].join('\n');
}

function commandHelp(c: CommandInfo): string {
  return `Usage: pathguard ${c.usage}\n\n${c.summary}\n\n${c.help.trimEnd()}\n`;
}

function findCommand(
  argv: readonly string[],
): { spec: CommandEntry; rest: string[] } | { group: string[] } | null {
  // Longest command path that prefixes argv wins (`parse flow` before `parse`).
  let best: CommandEntry | undefined;
  for (const c of commands) {
    if (c.path.every((w, i) => argv[i] === w) && (!best || c.path.length > best.path.length)) best = c;
  }
  if (best) return { spec: best, rest: argv.slice(best.path.length) };
  const first = argv[0];
  if (first && commands.some((c) => c.path.length > 1 && c.path[0] === first)) return { group: [first] };
  return null;
}

/** Runs the CLI; returns the exit code. Never throws for user mistakes. */
export async function main(
  argv: readonly string[],
  io: CliIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const first = argv[0];
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    io.stdout.write(topHelp());
    return first === undefined ? 2 : 0;
  }
  if (first === '-v' || first === '--version') {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const found = findCommand(argv);
  if (!found) {
    io.stderr.write(`pathguard: unknown command '${oneLine(first)}'; run 'pathguard --help'\n`);
    return 2;
  }
  if ('group' in found) {
    const subs = commands.filter((c) => c.path[0] === found.group[0]);
    const wantsHelp = argv[1] === '--help' || argv[1] === '-h';
    const text = `Usage: pathguard ${found.group[0]} <${subs.map((c) => c.path.slice(1).join(' ')).join('|')}> ...\n\n${subs
      .map((c) => `  pathguard ${c.usage}\n      ${c.summary}`)
      .join('\n')}\n`;
    if (wantsHelp) {
      io.stdout.write(text);
      return 0;
    }
    io.stderr.write(
      `pathguard: '${found.group[0]}' needs one of: ${subs.map((c) => c.path.slice(1).join(' ')).join(', ')}${argv[1] ? ` (got '${oneLine(argv[1])}')` : ''}\n`,
    );
    return 2;
  }
  const { spec, rest } = found;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: expandVariadic(rest, spec.variadic),
      options: { ...spec.options, ...HELP_OPTION },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    io.stderr.write(`pathguard ${spec.path.join(' ')}: ${oneLine((e as Error).message)}\n`);
    return 2;
  }
  if (parsed.values.help) {
    io.stdout.write(commandHelp(spec));
    return 0;
  }
  try {
    const command = await spec.load();
    return await command.run({
      values: parsed.values as Record<string, string | boolean | (string | boolean)[] | undefined>,
      positionals: parsed.positionals,
      io,
    });
  } catch (e) {
    if (e instanceof UserInputError) {
      io.stderr.write(`pathguard ${spec.path.join(' ')}: ${oneLine(e.message)}\n`);
      return e.exitCode;
    }
    if (e instanceof PathGuardError) {
      io.stderr.write(`pathguard ${spec.path.join(' ')}: ${e.code}: ${oneLine(e.message)}\n`);
      return 1;
    }
    if ((e as { code?: string }).code === 'EPIPE') return 0;
    io.stderr.write(
      `pathguard ${spec.path.join(' ')}: internal error: ${oneLine(String((e as Error)?.message ?? e))}\n`,
    );
    if (process.env.PATHGUARD_DEBUG) io.stderr.write(`${(e as Error)?.stack ?? ''}\n`);
    return 70;
  }
}

/**
 * Spells out a command's variadic options (see {@link CommandSpec.variadic}) for parseArgs:
 * `--flow a.log b.log --env e.json` becomes `--flow a.log --flow b.log --env e.json`. The words
 * after a variadic option are its values up to the next option (`-` alone is a value: standard
 * input); `--` ends options as usual.
 *
 * @example
 * expandVariadic(['--vpc', 'vpc-1', 'vpc-2', '--out', 'e.json'], ['vpc']);
 * // ['--vpc', 'vpc-1', '--vpc', 'vpc-2', '--out', 'e.json']
 */
export function expandVariadic(args: readonly string[], variadic: readonly string[] = []): string[] {
  if (variadic.length === 0) return [...args];
  const out: string[] = [];
  let current: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      out.push(...args.slice(i));
      break;
    }
    if (a.startsWith('-') && a !== '-') {
      const eq = a.indexOf('=');
      const name = a.startsWith('--') ? a.slice(2, eq < 0 ? undefined : eq) : null;
      current = name !== null && variadic.includes(name) ? `--${name}` : null;
      out.push(a);
      // `--flow FILE`: the first value is parseArgs' own; the rest are repeated below.
      if (current !== null && eq < 0 && i + 1 < args.length) {
        const next = args[i + 1]!;
        if (!next.startsWith('-') || next === '-') out.push(args[++i]!);
      }
      continue;
    }
    if (current !== null) out.push(current);
    out.push(a);
  }
  return out;
}

/** One line of text for the terminal: breaks folded, secrets redacted, control characters escaped. */
function oneLine(s: string): string {
  return displayText(
    redactText(s)
      .replace(/\s*\n\s*/g, ' ')
      .trim(),
  );
}

// Runs the CLI the way its tests do: `main(argv, io)` (or one command's `run`) in this process with
// standard input given and the output captured, or the built bin (bin/pathguard.mjs) as a child
// process once `buildCli()` has built it.
import { execFileSync, spawnSync } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import type { CliIo, CommandSpec } from '../../functions/cli/command.js';
import { main } from '../../functions/cli/main.js';

/** What a run printed, and its exit status. */
interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Standard output and standard error together, in the order they were written. */
  readonly all: string;
}

/** Standard input of a run: text or bytes (one chunk), or a stream as given. */
export type CliInput = string | Uint8Array | Readable;

/** Text and bytes become a one-chunk stream; no input is a stream that ends at once. */
function inputOf(stdin: CliInput | undefined): Readable {
  if (stdin === undefined) return Readable.from([]);
  if (stdin instanceof Readable) return stdin;
  return Readable.from([typeof stdin === 'string' ? Buffer.from(stdin) : stdin]);
}

/**
 * Calls `go` with an io whose output is captured; the text is decoded once all is written, so
 * a character split across chunks stays whole.
 */
async function captured(stdin: CliInput | undefined, go: (io: CliIo) => Promise<number>): Promise<CliRun> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const all: Buffer[] = [];
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (c: Buffer) => {
    out.push(c);
    all.push(c);
  });
  stderr.on('data', (c: Buffer) => {
    err.push(c);
    all.push(c);
  });
  const code = await go({ stdin: inputOf(stdin), stdout, stderr });
  const text = (parts: Buffer[]) => Buffer.concat(parts).toString('utf8');
  return { code, stdout: text(out), stderr: text(err), all: text(all) };
}

/**
 * `pathguard ...argv` in this process.
 *
 * @example
 * const r = await runCli(['parse', 'flow', '--count', '-'], linesText);
 * expect(r).toMatchObject({ code: 0, stdout: 'records 3 rejected 0\n' });
 */
export function runCli(argv: readonly string[], stdin?: CliInput): Promise<CliRun> {
  return captured(stdin, (io) => main(argv, io));
}

/** One command run with parsed option values, as `pathguard <command>` runs it after parsing. */
export function runCommand(
  spec: CommandSpec,
  values: Record<string, string | boolean>,
  stdin?: CliInput,
): Promise<CliRun> {
  return captured(stdin, (io) => spec.run({ values, positionals: [], io }));
}

/** Builds dist/ so that bin/pathguard.mjs runs this tree's code (tests that spawn the bin call it first). */
export function buildCli(): void {
  execFileSync(process.execPath, ['scripts/build.mjs', '--cli']);
}

/** Options of a bin run: the node flags before the script, its environment, a time limit. */
interface BinOptions {
  readonly nodeArgs?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Milliseconds; a run that does not end by then is killed and its status is null. */
  readonly timeout?: number;
}

/** What the bin printed, and its exit status (null when it was killed). */
interface BinRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node bin/pathguard.mjs ...args` as a child process, its output captured (up to 256 MiB). */
export function runBin(args: readonly string[], opts: BinOptions = {}): BinRun {
  const r = spawnSync(process.execPath, [...(opts.nodeArgs ?? []), 'bin/pathguard.mjs', ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.timeout ? { timeout: opts.timeout } : {}),
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

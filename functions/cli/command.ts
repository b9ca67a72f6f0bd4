import type { Readable, Writable } from 'node:stream';
import type { ParseArgsConfig } from 'node:util';

/** Streams a command talks to; tests pass their own. */
export interface CliIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

export type CliOptions = NonNullable<ParseArgsConfig['options']>;

export interface CommandContext {
  /** Parsed `--option` values (strings, booleans, or arrays for `multiple` options). */
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly positionals: string[];
  readonly io: CliIo;
}

/**
 * What the dispatcher knows of a command without loading its code: the words that select it
 * (`['parse', 'flow']`), its options and its help. Each lives in `commands/<name>.info.ts`, which
 * imports nothing heavy, so `--help` and `--version` start as fast as node itself.
 */
export interface CommandInfo {
  readonly path: readonly string[];
  readonly summary: string;
  /** Usage line(s) after `pathguard `, e.g. `parse flow [--format SPEC] [--count] [FILE...|-]`. */
  readonly usage: string;
  /** Longer help: options and examples. */
  readonly help: string;
  readonly options: CliOptions;
  /**
   * `multiple` options that also take the words after them, up to the next option:
   * `--flow a.log b.log` (what a shell glob `--flow logs/*.gz` expands to) is `--flow a.log --flow b.log`.
   */
  readonly variadic?: readonly string[];
}

/**
 * One CLI command. `run` returns the exit code; user mistakes are thrown as UserInputError and
 * printed as one line by the dispatcher.
 */
export interface CommandSpec extends CommandInfo {
  readonly run: (ctx: CommandContext) => Promise<number>;
}

/**
 * A row of the command table: the command's info and how to load its code. Only the command that
 * runs is loaded, so `parse flow` never loads the AWS SDK that `discover` needs.
 *
 * @example
 * const entry: CommandEntry = { ...parseFlowInfo, load: async () => (await import('./parse-flow.js')).parseFlowCommand };
 */
export interface CommandEntry extends CommandInfo {
  readonly load: () => Promise<CommandSpec>;
}

/** Writes to a stream and waits when it is full (so huge outputs stream with constant memory). */
export function writeOut(stream: Writable, text: string | Uint8Array): Promise<void> | undefined {
  if (stream.write(text)) return undefined;
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      stream.off('error', onError);
      resolve();
    };
    const onError = (e: Error) => {
      stream.off('drain', onDrain);
      reject(e);
    };
    stream.once('drain', onDrain);
    stream.once('error', onError);
  });
}

/** Writes chunks in order with {@link writeOut}'s backpressure; undefined when none had to wait. */
export function writeChunks(stream: Writable, chunks: readonly Uint8Array[]): Promise<void> | undefined {
  for (let i = 0; i < chunks.length; i++) {
    const wait = writeOut(stream, chunks[i]!);
    if (wait !== undefined) return wait.then(() => writeChunks(stream, chunks.slice(i + 1)));
  }
  return undefined;
}

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
 * One CLI command. `path` is the words that select it (`['parse', 'flow']`). `run` returns the exit
 * code; user mistakes are thrown as UserInputError and printed as one line by the dispatcher.
 */
export interface CommandSpec {
  readonly path: readonly string[];
  readonly summary: string;
  /** Usage line(s) after `pathguard `, e.g. `parse flow [--format F] [--count] [FILE...|-]`. */
  readonly usage: string;
  /** Longer help: options and examples. */
  readonly help: string;
  readonly options: CliOptions;
  /**
   * `multiple` options that also take the words after them, up to the next option:
   * `--flow a.log b.log` (what a shell glob `--flow logs/*.gz` expands to) is `--flow a.log --flow b.log`.
   */
  readonly variadic?: readonly string[];
  readonly run: (ctx: CommandContext) => Promise<number>;
}

/** Writes to a stream and waits when it is full (so huge outputs stream with constant memory). */
export function writeOut(stream: Writable, text: string): Promise<void> | undefined {
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

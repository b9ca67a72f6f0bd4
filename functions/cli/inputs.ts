import { readFile } from 'node:fs/promises';
import { type PathGuardConfig, validateConfig } from '../../shared/config/index.js';
import { redactText } from '../../shared/endpoints/redact.js';
import { UserInputError } from '../../shared/errors.js';

/**
 * Input files of the CLI commands, read one way: an unreadable file is exit 1 naming the file and
 * the errno, bad JSON or an invalid document exit 2 naming the file and the first bad field. No
 * message ever echoes file content (a line may hold a presigned URL).
 */
export async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new UserInputError(
      'INPUT_UNREADABLE',
      `${what} ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'cannot be read')}`,
      {},
      1,
    );
  }
}

export async function readJsonFile(file: string, what: string): Promise<unknown> {
  const text = await readText(file, what);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserInputError('BAD_JSON', `${what} ${file}: not JSON (${redactText((e as Error).message)})`);
  }
}

/** One JSON value per line; blank lines and `#` comments skipped. */
export async function readNdjson(file: string, what: string): Promise<unknown[]> {
  const text = await readText(file, what);
  const out: unknown[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      throw new UserInputError('BAD_JSON', `${what} ${file}:${i + 1}: not a JSON object`);
    }
  }
  return out;
}

/** A PathGuard config file, validated strictly. */
export async function readConfigFile(file: string): Promise<PathGuardConfig> {
  const cfg = validateConfig(await readJsonFile(file, 'config'));
  if (!cfg.ok) throw new UserInputError('CONFIG_INVALID', `${file}: ${cfg.error.message}`);
  return cfg.value;
}

/**
 * The flow-log format flag, `--format` in every command ('parse flow', 'classify', 'analyze').
 * `--flow-format`, its old name in 'classify' and 'analyze', still works with a warning: it had
 * the same meaning, so old scripts keep their result.
 */
export function flowFormatFlag(
  values: Record<string, unknown>,
  stderr: { write(s: string): unknown },
  command: string,
): string | undefined {
  const format = typeof values.format === 'string' ? values.format : undefined;
  const old = typeof values['flow-format'] === 'string' ? values['flow-format'] : undefined;
  if (old === undefined) return format;
  if (format !== undefined && format !== old) {
    throw new UserInputError('USAGE', '--flow-format is the old name of --format: give only --format');
  }
  stderr.write(`pathguard ${command}: warning: --flow-format is deprecated; use --format\n`);
  return old;
}

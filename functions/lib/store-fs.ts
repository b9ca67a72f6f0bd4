import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { PathGuardError } from '../../shared/errors.js';
import {
  type ObjectStore,
  type PutCondition,
  type StoredJson,
  WriteConflictError,
} from '../../shared/ports/index.js';

/** Suffixes reserved for the store's own files; never valid as the end of a key. */
const TMP_MARK = '.pg-tmp-';
const LOCK_SUFFIX = '.pg-lock';

export interface FsObjectStoreOptions {
  /** How long a writer waits for another writer of the same key. @default 10000 */
  lockTimeoutMs?: number;
  /** A lock file older than this was left by a crashed writer and is removed. @default 30000 */
  staleLockMs?: number;
}

/**
 * The results bucket as a folder (the CLI and the lab): one file per key under `root`, with the
 * semantics the S3 store has, so code tested here behaves the same against S3.
 *
 * - ETag: `"<sha256 of the content>"`, quoted like S3's.
 * - Conditional writes (`ifMatch`, `ifNoneMatch: '*'`) are checked and applied under a per-key
 *   lock file created with O_EXCL, so two writers (in one process or several) never both win;
 *   the loser gets a WriteConflictError, as from S3's 412.
 * - Writes are atomic: a temporary file in the same folder renamed over the key, so a reader sees
 *   the old or the new content, never a torn file.
 * - `list` yields keys in S3 order (UTF-8 byte order), after `startAfter`.
 *
 * A folder cannot hold both `a` and `a/b`, which S3 allows; such a write fails with STORE_KEY_CLASH.
 */
export class FsObjectStore implements ObjectStore {
  private readonly lockTimeoutMs: number;
  private readonly staleLockMs: number;

  constructor(
    readonly root: string,
    opts: FsObjectStoreOptions = {},
  ) {
    this.lockTimeoutMs = opts.lockTimeoutMs ?? 10_000;
    this.staleLockMs = opts.staleLockMs ?? 30_000;
  }

  async getJson<T>(key: string): Promise<StoredJson<T> | null> {
    const body = await this.read(key);
    if (!body) return null;
    return { value: JSON.parse(body.toString('utf8')) as T, etag: etagOf(body) };
  }

  async putJson(key: string, value: unknown, condition?: PutCondition): Promise<{ etag: string }> {
    return this.put(key, Buffer.from(JSON.stringify(value)), condition);
  }

  async putBytes(key: string, body: Uint8Array, _contentType: string): Promise<{ etag: string }> {
    return this.put(key, Buffer.from(body));
  }

  async *list(prefix: string, startAfter?: string): AsyncIterable<string> {
    // Start at the deepest folder the prefix names completely; filter the rest by string.
    const cut = prefix.lastIndexOf('/');
    const base = cut >= 0 ? prefix.slice(0, cut + 1) : '';
    if (base) checkKey(`${base}x`);
    const keys: string[] = [];
    await this.walk(base, keys);
    const after = startAfter === undefined ? null : Buffer.from(startAfter);
    const selected = keys
      .filter((k) => k.startsWith(prefix) && (!after || Buffer.compare(Buffer.from(k), after) > 0))
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    yield* selected;
  }

  private async walk(dirKey: string, out: string[]): Promise<void> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(join(this.root, dirKey), { withFileTypes: true });
    } catch (e) {
      if (isCode(e, 'ENOENT') || isCode(e, 'ENOTDIR')) return;
      throw e;
    }
    for (const d of entries) {
      if (d.isDirectory()) await this.walk(`${dirKey}${d.name}/`, out);
      else if (d.isFile() && !d.name.includes(TMP_MARK) && !d.name.endsWith(LOCK_SUFFIX))
        out.push(dirKey + d.name);
    }
  }

  private pathOf(key: string): string {
    checkKey(key);
    return join(this.root, ...key.split('/'));
  }

  private async read(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.pathOf(key));
    } catch (e) {
      if (isCode(e, 'ENOENT') || isCode(e, 'ENOTDIR')) return null;
      if (isCode(e, 'EISDIR')) return null;
      throw e;
    }
  }

  private async put(key: string, body: Buffer, condition?: PutCondition): Promise<{ etag: string }> {
    const file = this.pathOf(key);
    try {
      await mkdir(dirname(file), { recursive: true });
    } catch (e) {
      if (isCode(e, 'EEXIST') || isCode(e, 'ENOTDIR')) throw clash(key);
      throw e;
    }
    const release = await this.lock(file, key);
    try {
      if (condition?.ifMatch !== undefined || condition?.ifNoneMatch === '*') {
        const cur = await this.read(key);
        if (condition.ifNoneMatch === '*' && cur) throw new WriteConflictError(key);
        if (condition.ifMatch !== undefined && (!cur || etagOf(cur) !== condition.ifMatch))
          throw new WriteConflictError(key);
      }
      const tmp = `${file}${TMP_MARK}${randomBytes(6).toString('hex')}`;
      const fh = await open(tmp, 'wx');
      try {
        await fh.writeFile(body);
        await fh.sync();
      } finally {
        await fh.close();
      }
      try {
        await rename(tmp, file);
      } catch (e) {
        await rm(tmp, { force: true });
        if (isCode(e, 'EISDIR') || isCode(e, 'ENOTEMPTY') || isCode(e, 'EPERM')) throw clash(key);
        throw e;
      }
      return { etag: etagOf(body) };
    } finally {
      await release();
    }
  }

  /** Takes the key's lock file; waits for a live holder, breaks a stale one. */
  private async lock(file: string, key: string): Promise<() => Promise<void>> {
    const lockPath = file + LOCK_SUFFIX;
    const deadline = Date.now() + this.lockTimeoutMs;
    for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
      try {
        const fh = await open(lockPath, 'wx');
        await fh.close();
        return async () => {
          await unlink(lockPath).catch(() => {});
        };
      } catch (e) {
        if (!isCode(e, 'EEXIST')) throw e;
      }
      const st = await stat(lockPath).catch(() => null);
      if (st && Date.now() - st.mtimeMs > this.staleLockMs) {
        await unlink(lockPath).catch(() => {});
        continue;
      }
      if (Date.now() > deadline) {
        throw new PathGuardError('STORE_LOCK_TIMEOUT', `another writer holds ${key} for too long`, { key });
      }
      await new Promise((r) => setTimeout(r, wait * (0.5 + Math.random())));
    }
  }
}

function etagOf(body: Uint8Array): string {
  return `"${createHash('sha256').update(body).digest('hex')}"`;
}

/** Keys are relative `/`-separated paths; anything that could escape the root is refused. */
function checkKey(key: string): void {
  const parts = key.split('/');
  const bad =
    key.length === 0 ||
    key.length > 1024 ||
    key.includes('\0') ||
    key.includes('\\') ||
    (sep !== '/' && key.includes(sep)) ||
    parts.some((p) => p === '' || p === '.' || p === '..') ||
    (parts.at(-1) ?? '').includes(TMP_MARK) ||
    key.endsWith(LOCK_SUFFIX);
  if (bad)
    throw new PathGuardError('STORE_BAD_KEY', `not a valid store key: ${JSON.stringify(key.slice(0, 200))}`);
}

function clash(key: string): PathGuardError {
  return new PathGuardError(
    'STORE_KEY_CLASH',
    `${key}: a key and a key prefix with the same name cannot both exist in a folder store`,
    { key },
  );
}

function isCode(e: unknown, code: string): boolean {
  return (e as { code?: string } | null)?.code === code;
}

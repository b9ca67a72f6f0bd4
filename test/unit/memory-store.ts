import { createHash } from 'node:crypto';
import {
  type ObjectStore,
  type PutCondition,
  type StoredJson,
  WriteConflictError,
} from '../../shared/ports/index.js';

/** An in-memory ObjectStore with S3's conditional-write semantics, for tests. */
export class MemoryStore implements ObjectStore {
  readonly objects = new Map<string, { body: Buffer; etag: string }>();

  async getJson<T>(key: string): Promise<StoredJson<T> | null> {
    const o = this.objects.get(key);
    return o ? { value: JSON.parse(o.body.toString()) as T, etag: o.etag } : null;
  }

  async putJson(key: string, value: unknown, condition?: PutCondition): Promise<{ etag: string }> {
    return this.put(key, Buffer.from(JSON.stringify(value)), condition);
  }

  async putBytes(key: string, body: Uint8Array): Promise<{ etag: string }> {
    return this.put(key, Buffer.from(body));
  }

  async *list(prefix: string, startAfter?: string): AsyncIterable<string> {
    for (const k of [...this.objects.keys()].sort())
      if (k.startsWith(prefix) && (!startAfter || k > startAfter)) yield k;
  }

  private put(key: string, body: Buffer, condition?: PutCondition): { etag: string } {
    const cur = this.objects.get(key);
    if (
      (condition?.ifNoneMatch === '*' && cur) ||
      (condition?.ifMatch !== undefined && condition.ifMatch !== cur?.etag)
    ) {
      throw new WriteConflictError(key);
    }
    const etag = `"${createHash('md5').update(body).digest('hex')}"`;
    this.objects.set(key, { body, etag });
    return { etag };
  }
}

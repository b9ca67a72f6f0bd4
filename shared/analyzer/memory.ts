/**
 * In-memory adapters for the analyzer's ports: the offline `pathguard analyze`, tests and small
 * labs. Behave like the real ones where it matters (conditional writes, lexicographic listing,
 * a sink that resolves only when it accepted the alert).
 */
import {
  type AlertSink,
  type ObjectStore,
  type PutCondition,
  type RenderedAlert,
  type StoredJson,
  WriteConflictError,
} from '../ports/index.js';

/** An ObjectStore over a Map; values are stored as JSON text so readers get copies. */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, { body: string | Uint8Array; etag: string }>();
  private version = 0;

  async getJson<T>(key: string): Promise<StoredJson<T> | null> {
    const o = this.objects.get(key);
    if (!o || typeof o.body !== 'string') return null;
    return { value: JSON.parse(o.body) as T, etag: o.etag };
  }

  async putJson(key: string, value: unknown, condition?: PutCondition): Promise<{ etag: string }> {
    return this.put(key, JSON.stringify(value), condition);
  }

  async putBytes(key: string, body: Uint8Array): Promise<{ etag: string }> {
    return this.put(key, body);
  }

  async *list(prefix: string, startAfter?: string): AsyncIterable<string> {
    const keys = [...this.objects.keys()].filter(
      (k) => k.startsWith(prefix) && (!startAfter || k > startAfter),
    );
    for (const k of keys.sort()) yield k;
  }

  private put(key: string, body: string | Uint8Array, condition?: PutCondition): { etag: string } {
    const cur = this.objects.get(key);
    if (condition?.ifNoneMatch === '*' && cur) throw new WriteConflictError(key);
    if (condition?.ifMatch !== undefined && cur?.etag !== condition.ifMatch)
      throw new WriteConflictError(key);
    const etag = `"${++this.version}"`;
    this.objects.set(key, { body, etag });
    return { etag };
  }
}

/** A sink that accepts every alert and keeps it (a dry run: the alerts that would be sent). */
export class RecordingAlertSink implements AlertSink {
  readonly alerts: RenderedAlert[] = [];

  async publish(alert: RenderedAlert): Promise<{ messageId: string }> {
    this.alerts.push(alert);
    return { messageId: `local-${this.alerts.length}` };
  }
}

const LF = 0x0a;

/** A line cut by the end of a chunk, once its line break has arrived. */
export interface CarriedLine {
  /**
   * The line's bytes (`length` of them, then the `spare` line feeds asked for), its own line break
   * not included; null when it ran over the cap and was not kept.
   */
  readonly bytes: Uint8Array | null;
  /** Bytes the line had, a `\r` before its line break included. */
  readonly length: number;
}

/**
 * The part of a line that one chunk of a byte stream ends in the middle of, held until the chunk
 * that ends it: the one home of the carry rules of the readers that cut a stream into lines
 * ({@link LineSplitter}, the access-log record counter). What it holds is copied, since the
 * caller may reuse a chunk's memory once it has been read; a line over the cap is not kept, only
 * its length is counted, so a 1 GB line costs no more memory than a short one.
 *
 * @example
 * let pos = 0;
 * if (carry.isHolding) {
 *   pos = carry.continueWith(chunk);
 *   if (pos < 0) return; // the whole chunk was more of the held line
 *   handle(carry.take());
 * }
 * // ... lines of chunk[pos, lastBreak] ...
 * carry.append(chunk, lastBreak + 1, chunk.length);
 */
export class LineCarry {
  private parts: Uint8Array[] = [];
  private bytes = 0;
  private discarding = false;

  /** `maxLineBytes`: longest line kept, a `\r` before the line break not counted. */
  constructor(private readonly maxLineBytes: number) {}

  /** Whether part of a line is held (or counted, when it is over the cap). */
  get isHolding(): boolean {
    return this.bytes > 0 || this.discarding;
  }

  /** Holds `chunk[from, to)` as more of the current line (copied), or only counts it past the cap. */
  append(chunk: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (this.discarding) {
      this.bytes += n;
      return;
    }
    // One more byte than the cap: the line may end in `\r`, which is not part of it.
    if (this.bytes + n > this.maxLineBytes + 1) {
      this.parts = [];
      this.discarding = true;
      this.bytes += n;
      return;
    }
    // A copy (`Buffer#subarray` and `Buffer#slice` would share the chunk's memory).
    if (n > 0) this.parts.push(Uint8Array.prototype.slice.call(chunk, from, to));
    this.bytes += n;
  }

  /**
   * Appends `chunk` up to its first line break, which ends the held line: returns where the
   * chunk's own lines start (after that break; {@link take} then returns the line), or -1 when
   * the chunk has no line break and all of it was appended.
   */
  continueWith(chunk: Uint8Array): number {
    const nl = chunk.indexOf(LF);
    this.append(chunk, 0, nl === -1 ? chunk.length : nl);
    return nl === -1 ? -1 : nl + 1;
  }

  /**
   * The held line, now complete (its line break arrived, or the input ended); nothing is held
   * after. With `spare` > 0 its bytes are followed by that many line feeds (not counted in
   * `length`), for a scanner that reads a byte past a line's end instead of testing for it.
   */
  take(spare = 0): CarriedLine {
    const length = this.bytes;
    let bytes: Uint8Array | null = null;
    if (!this.discarding) {
      if (spare > 0) this.parts.push(new Uint8Array(spare).fill(LF));
      bytes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    }
    this.parts = [];
    this.bytes = 0;
    this.discarding = false;
    return { bytes, length };
  }
}

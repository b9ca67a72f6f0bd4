/** Called once per complete line; `end` excludes the `\n` and a trailing `\r`. `lineNo` is 1-based. */
export type LineHandler = (buf: Uint8Array, start: number, end: number, lineNo: number) => void;

/** Called once per line longer than the cap; its bytes were discarded, never buffered whole. */
export type TooLongHandler = (lineNo: number, bytesSeen: number) => void;

export interface LineSplitterOptions {
  /** Longest line kept, in bytes. Longer lines are reported and skipped. @default 65536 */
  readonly maxLineBytes?: number;
  readonly onTooLong?: TooLongHandler;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into lines with constant memory: lines are handed out as slices of the
 * incoming chunk (no copy) and only a line that straddles two chunks is copied. A line over the cap
 * is skipped as it streams by, so a 1 GB line costs no more memory than a short one.
 *
 * @example
 * const s = new LineSplitter((buf, a, b, n) => handle(buf, a, b, n));
 * for await (const chunk of stream) s.push(chunk);
 * s.end();
 */
export class LineSplitter {
  private readonly maxLineBytes: number;
  private readonly onTooLong: TooLongHandler | undefined;
  private carry: Uint8Array[] = [];
  private carryBytes = 0;
  private discarding = false;
  private lineNo = 0;

  constructor(
    private readonly onLine: LineHandler,
    options: LineSplitterOptions = {},
  ) {
    this.maxLineBytes = options.maxLineBytes ?? 65536;
    this.onTooLong = options.onTooLong;
  }

  /** Number of lines seen so far, including skipped over-long ones. */
  get lines(): number {
    return this.lineNo;
  }

  push(chunk: Uint8Array): void {
    let pos = 0;
    const len = chunk.length;
    if (this.carryBytes > 0 || this.discarding) {
      const nl = chunk.indexOf(LF);
      if (nl === -1) {
        this.appendCarry(chunk, 0, len);
        return;
      }
      this.appendCarry(chunk, 0, nl);
      this.flushCarry();
      pos = nl + 1;
    }
    while (pos < len) {
      const nl = chunk.indexOf(LF, pos);
      if (nl === -1) {
        this.appendCarry(chunk, pos, len);
        return;
      }
      this.lineNo++;
      const lineLen = nl - pos;
      if (lineLen > this.maxLineBytes && !(lineLen === this.maxLineBytes + 1 && chunk[nl - 1] === CR)) {
        this.onTooLong?.(this.lineNo, lineLen);
      } else {
        this.onLine(chunk, pos, nl > pos && chunk[nl - 1] === CR ? nl - 1 : nl, this.lineNo);
      }
      pos = nl + 1;
    }
  }

  /** Flushes a last line that has no trailing newline. */
  end(): void {
    if (this.carryBytes > 0 || this.discarding) this.flushCarry();
  }

  private appendCarry(chunk: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (this.discarding) {
      this.carryBytes += n;
      return;
    }
    if (this.carryBytes + n > this.maxLineBytes + 1) {
      // Over the cap: drop what we hold and only count bytes until the next newline.
      this.carry = [];
      this.discarding = true;
      this.carryBytes += n;
      return;
    }
    // Copy: the caller may reuse the chunk's memory after push() returns. (Not `slice`: on a
    // Buffer it returns a view of the same memory.)
    if (n > 0) this.carry.push(Uint8Array.prototype.slice.call(chunk, from, to));
    this.carryBytes += n;
  }

  private flushCarry(): void {
    this.lineNo++;
    if (this.discarding) {
      this.onTooLong?.(this.lineNo, this.carryBytes);
    } else {
      const line = this.carry.length === 1 ? this.carry[0]! : Buffer.concat(this.carry);
      let end = line.length;
      if (end > 0 && line[end - 1] === CR) end--;
      if (end > this.maxLineBytes) this.onTooLong?.(this.lineNo, line.length);
      else this.onLine(line, 0, end, this.lineNo);
    }
    this.carry = [];
    this.carryBytes = 0;
    this.discarding = false;
  }
}

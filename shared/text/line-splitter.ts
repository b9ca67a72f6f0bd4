import { LineCarry } from './line-carry.js';

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
  private readonly carry: LineCarry;
  private lineNo = 0;

  constructor(
    private readonly onLine: LineHandler,
    options: LineSplitterOptions = {},
  ) {
    this.maxLineBytes = options.maxLineBytes ?? 65536;
    this.onTooLong = options.onTooLong;
    this.carry = new LineCarry(this.maxLineBytes);
  }

  /** Number of lines seen so far, including skipped over-long ones. */
  get lines(): number {
    return this.lineNo;
  }

  push(chunk: Uint8Array): void {
    let pos = 0;
    const len = chunk.length;
    if (this.carry.isHolding) {
      pos = this.carry.continueWith(chunk);
      if (pos < 0) return;
      this.flushCarry();
    }
    while (pos < len) {
      const nl = chunk.indexOf(LF, pos);
      if (nl === -1) {
        this.carry.append(chunk, pos, len);
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
    if (this.carry.isHolding) this.flushCarry();
  }

  private flushCarry(): void {
    this.lineNo++;
    const { bytes: line, length } = this.carry.take();
    if (line === null) {
      this.onTooLong?.(this.lineNo, length);
      return;
    }
    let end = length;
    if (end > 0 && line[end - 1] === CR) end--;
    if (end > this.maxLineBytes) this.onTooLong?.(this.lineNo, length);
    else this.onLine(line, 0, end, this.lineNo);
  }
}

/**
 * Newline-delimited framing for the telegram listener. Lines may arrive split across any number of
 * chunks; a line longer than `maxLine` bytes is dropped (reported once, with its first `maxLine`
 * bytes) and reading continues at the next newline, so one bad line costs only itself.
 */
export interface LineSink {
  line(line: Buffer): void;
  oversized(head: Buffer, bytes: number): void;
}

export class LineSplitter {
  private parts: Buffer[] = [];
  private len = 0;
  /** Bytes of an oversized line seen so far; -1 when not discarding. */
  private discarded = -1;
  private head: Buffer | undefined;

  constructor(
    private readonly maxLine: number,
    private readonly sink: LineSink,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      this.append(chunk.subarray(start, end));
      if (nl < 0) return;
      this.finishLine();
      start = nl + 1;
    }
  }

  /** The connection ended: a last line without a newline still counts. */
  end(): void {
    if (this.len > 0 || this.discarded >= 0) this.finishLine();
  }

  private append(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.discarded >= 0) {
      this.discarded += bytes.length;
      return;
    }
    if (this.len + bytes.length > this.maxLine) {
      const all = Buffer.concat([...this.parts, bytes]);
      this.head = all.subarray(0, this.maxLine);
      this.discarded = all.length;
      this.parts = [];
      this.len = 0;
      return;
    }
    this.parts.push(bytes);
    this.len += bytes.length;
  }

  private finishLine(): void {
    if (this.discarded >= 0) {
      const bytes = this.discarded;
      const head = this.head!;
      this.discarded = -1;
      this.head = undefined;
      this.sink.oversized(head, bytes);
      return;
    }
    let line = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.len);
    this.parts = [];
    this.len = 0;
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, -1);
    if (line.length > 0) this.sink.line(line);
  }
}

/**
 * The export path of per-message spans (tracing-message-span.ts; docs/observability.md, "What
 * tracing costs"): the spans that end in an event-loop turn are encoded to OTLP protobuf together
 * after it (tracing-otlp-encode.ts), appended to the open batch's bytes, and nothing of them is kept. A batch is closed when it holds
 * `maxExportBatchSize` spans or `scheduledDelayMillis` after its first span, and at flush and
 * shutdown; closed batches are sent one at a time (no overlapping sends) through the SDK's own
 * OTLP/HTTP transport, so the endpoint, headers, timeout, compression, retries and the OTEL_* variables
 * are those of the SDK's exporter. At most `maxQueueSize` spans wait (open batch included);
 * beyond that a span is dropped and counted, as the SDK's batch processor does when the
 * collector is down.
 */
import { type Attributes, diag } from '@opentelemetry/api';
import {
  ProtoWriter,
  headroomFor,
  requestParts,
  type SpanRecord,
  wrapRequest,
  writeSpan,
} from './tracing-otlp-encode.js';
import type { QueueState, SpanCounts } from './tracing-stats.js';

/** A closed batch: the whole request's bytes and how many spans it holds. */
export interface EncodedBatch {
  request: Buffer;
  count: number;
}

/** Sends one request; calls back once with whether it was accepted (the SDK's export delegate). */
export interface BatchSender {
  export(batch: EncodedBatch, done: (result: { code: number; error?: Error }) => void): void;
  shutdown(): Promise<void>;
}

export interface MessageExportOptions {
  resource: Attributes;
  scope?: string;
  maxExportBatchSize?: number;
  maxQueueSize?: number;
  scheduledDelayMillis?: number;
  /** Where to count (tracing-sdk.ts passes the process-wide counts /metrics reads); default: its own. */
  stats?: MessageExportStats;
}

/** Spans exported (handed to the sender and accepted), dropped (queue full) and failed (request failed). */
export type MessageExportStats = SpanCounts;

/** Starting size of a batch's buffer (grows as needed; a message span is about 200 bytes). */
const BATCH_BYTES = 1 << 16;

export class MessageSpanExporter implements QueueState {
  private readonly parts: { resource: Buffer; scope: Buffer };
  private readonly headroom: number;
  private readonly maxBatch: number;
  private readonly maxQueue: number;
  private readonly delay: number;
  private open: ProtoWriter;
  private openCount = 0;
  /** Ended spans not encoded yet: encoded together once the current I/O callback is done (`encodePending`). */
  private pending: SpanRecord[] = [];
  private readonly closed: EncodedBatch[] = [];
  private closedCount = 0;
  private sending = false;
  private timer: NodeJS.Timeout | undefined;
  private idle: (() => void)[] = [];
  private warned = false;
  readonly stats: MessageExportStats;

  constructor(
    private readonly sender: BatchSender,
    opts: MessageExportOptions,
  ) {
    this.parts = requestParts(opts.resource, opts.scope ?? 'tsunagu');
    this.headroom = headroomFor(this.parts);
    this.maxBatch = Math.max(1, opts.maxExportBatchSize ?? 512);
    this.maxQueue = Math.max(this.maxBatch, opts.maxQueueSize ?? 2048);
    this.delay = opts.scheduledDelayMillis ?? 5000;
    this.stats = opts.stats ?? { exported: 0, dropped: 0, failed: 0 };
    this.open = new ProtoWriter(BATCH_BYTES, this.headroom);
  }

  /** Spans waiting: the open batch, closed ones and the one in flight (`onEnd` drops at `capacity()`). */
  size(): number {
    return this.pending.length + this.openCount + this.closedCount;
  }

  capacity(): number {
    return this.maxQueue;
  }

  /**
   * Take an ended span, or drop it when the queue is full. It is encoded with the others that end
   * in the same event-loop turn, after it (`setImmediate`): a broker message span ends once per
   * hundred messages at 1%, and encoding each on its own, between messages, ran the encoder cold
   * every time; a turn's spans in a row run it warm, and live only until the turn ends.
   */
  onEnd(span: SpanRecord): void {
    if (this.size() >= this.maxQueue) {
      this.stats.dropped++;
      if (!this.warned) {
        this.warned = true;
        diag.warn('Dropping message spans: the export queue is full (is the collector reachable?)');
      }
      return;
    }
    if (this.pending.push(span) === 1) setImmediate(this.encodePending);
  }

  /** Encode the pending spans into the open batch, closing it whenever it is full. */
  private readonly encodePending = (): void => {
    const spans = this.pending;
    this.pending = [];
    for (const span of spans) {
      writeSpan(this.open, span);
      if (this.openCount++ === 0) this.timer = setTimeout(() => this.close(), this.delay).unref();
      if (this.openCount >= this.maxBatch) this.close();
    }
  };

  /** Close the open batch (if any spans) and send. */
  private close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.openCount > 0) {
      const w = this.open;
      this.closed.push({
        request: wrapRequest(w.buf, this.headroom, w.pos, this.parts),
        count: this.openCount,
      });
      this.closedCount += this.openCount;
      this.openCount = 0;
      this.open = new ProtoWriter(Math.max(BATCH_BYTES, w.buf.length), this.headroom);
    }
    this.pump();
  }

  /** Send the next closed batch unless one is in flight. */
  private pump(): void {
    if (this.sending) return;
    const batch = this.closed.shift();
    if (batch === undefined) {
      for (const resolve of this.idle.splice(0)) resolve();
      return;
    }
    this.sending = true;
    let settled = false;
    const done = (result: { code: number; error?: Error }): void => {
      if (settled) return;
      settled = true;
      this.sending = false;
      this.closedCount -= batch.count;
      if (result.code === 0) {
        this.stats.exported += batch.count;
        this.warned = false;
      } else {
        this.stats.failed += batch.count;
        diag.warn(`Message span export failed: ${result.error?.message ?? 'unknown error'}`);
      }
      this.pump();
    };
    try {
      this.sender.export(batch, done);
    } catch (err) {
      done({ code: 1, error: err instanceof Error ? err : new Error(String(err)) });
    }
  }

  /** Send every span ended so far; resolves when the last request has settled. */
  forceFlush(): Promise<void> {
    const idle = new Promise<void>((resolve) => this.idle.push(resolve));
    this.encodePending();
    this.close();
    return idle;
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    await this.sender.shutdown();
  }
}

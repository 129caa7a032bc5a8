/**
 * A local OTLP/HTTP endpoint for benchmarks with tracing on: it takes every export and counts it,
 * so the platform pays the real SDK and exporter cost (span creation, batching, protobuf encoding,
 * an HTTP POST) without a collector. Spans are counted by their 16-byte span-id fields' tag
 * (`0x12 0x10`), an estimate good enough for a report line.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OtlpSink {
  url: string;
  requests(): number;
  spans(): number;
  close(): Promise<void>;
}

/**
 * `countSpans: false` only drains each request (`spans()` stays 0): for a sink in the measured
 * process (`bench tracing --broker`), where the scan would be counted as tracing's cost.
 */
export async function startOtlpSink(opts: { countSpans?: boolean } = {}): Promise<OtlpSink> {
  let requests = 0;
  let spans = 0;
  const server = createServer((req, res) => {
    if (opts.countSpans === false) {
      req.resume();
      req.on('end', () => {
        requests++;
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      const body = Buffer.concat(chunks);
      // Span.span_id is field 2, length-delimited, 8 bytes: tag 0x12, length 0x08.
      for (let i = body.indexOf(0x12); i >= 0 && i < body.length - 1; i = body.indexOf(0x12, i + 1))
        if (body[i + 1] === 0x08 && body[i - 18] === 0x0a && body[i - 17] === 0x10) spans++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    spans: () => spans,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

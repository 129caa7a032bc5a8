/**
 * An OTLP/HTTP trace receiver on loopback for tests: accepts `POST /v1/traces` with
 * `application/x-protobuf` bodies and decodes them with protobufjs and the OTLP schema (the
 * fields of opentelemetry-proto's `collector/trace/v1/trace_service.proto`, `trace/v1/trace.proto`,
 * `common/v1/common.proto` and `resource/v1/resource.proto` that a test reads, same numbers).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import protobuf from 'protobufjs';

const OTLP_SCHEMA = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message InstrumentationScope { string name = 1; string version = 2; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4;
  string name = 5; int32 kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9; uint32 dropped_attributes_count = 10; Status status = 15; fixed32 flags = 16;
}
message Status { string message = 2; int32 code = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; bytes bytes_value = 7; }
}
`;

const Request = protobuf
  .parse(OTLP_SCHEMA, { keepCase: false })
  .root.lookupType('otlp.ExportTraceServiceRequest');

/** OTLP SpanKind values. */
export const OtlpKind = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  attributes: Record<string, string | number | boolean>;
  resource: Record<string, string | number | boolean>;
  scope: string;
  /** Start and end, milliseconds since the epoch (from the nanoseconds, to float precision). */
  startMs: number;
  endMs: number;
}

export interface OtlpReceiver {
  /** Base URL to give as the OTLP endpoint. */
  url: string;
  spans: ReceivedSpan[];
  requests: number;
  /** The HTTP status it answers (200: accepted; a test sets e.g. 400 for a collector that refuses, spans not kept). */
  status: number;
  close(): Promise<void>;
}

interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | { toNumber(): number };
  doubleValue?: number;
}

function attrs(
  list: { key: string; value?: AnyValue }[] | undefined,
): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    const v = value?.stringValue ?? value?.boolValue ?? value?.doubleValue ?? value?.intValue;
    if (v !== undefined) out[key] = typeof v === 'object' ? v.toNumber() : v;
  }
  return out;
}

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');

export function decodeTraces(body: Buffer): ReceivedSpan[] {
  /* eslint-disable @typescript-eslint/no-explicit-any -- protobufjs decodes to plain objects */
  const req = Request.toObject(Request.decode(body), { longs: Number, defaults: true }) as any;
  const out: ReceivedSpan[] = [];
  for (const rs of req.resourceSpans ?? [])
    for (const ss of rs.scopeSpans ?? [])
      for (const s of ss.spans ?? [])
        out.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          name: s.name,
          kind: s.kind,
          statusCode: s.status?.code ?? 0,
          attributes: attrs(s.attributes),
          resource: attrs(rs.resource?.attributes),
          scope: ss.scope?.name ?? '',
          startMs: Number(s.startTimeUnixNano) / 1e6,
          endMs: Number(s.endTimeUnixNano) / 1e6,
        });
  /* eslint-enable @typescript-eslint/no-explicit-any */
  return out;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const received: OtlpReceiver = {
    url: '',
    spans: [],
    requests: 0,
    status: 200,
    close: () => Promise.resolve(),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      received.requests++;
      if (received.status !== 200) {
        res.writeHead(received.status).end();
        return;
      }
      try {
        received.spans.push(...decodeTraces(Buffer.concat(chunks)));
      } catch {
        res.writeHead(400).end();
        return;
      }
      // An empty ExportTraceServiceResponse: full success.
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  received.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  received.close = () => new Promise((resolve) => server.close(() => resolve()));
  return received;
}

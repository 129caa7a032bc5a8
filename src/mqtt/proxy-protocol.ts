/**
 * PROXY protocol v1 and v2 (HAProxy's `send-proxy` / `send-proxy-v2`), so a broker behind a TCP
 * load balancer sees the device's address, not the balancer's. Spec: haproxy.org
 * "The PROXY protocol" (proxy-protocol.txt). With the option on, every connection must start with
 * a header; one without is refused (§2: a receiver must not guess whether a header is present).
 */
import type { Socket } from 'node:net';

export interface ProxiedAddress {
  /** Source address of the original connection; undefined for LOCAL / UNKNOWN (health checks). */
  remoteAddress: string | undefined;
  remotePort: number | undefined;
}

export type ProxyParse =
  | { kind: 'incomplete' }
  | { kind: 'error'; why: string }
  | { kind: 'ok'; length: number; address: ProxiedAddress };

const V2_SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ');
/** v1 lines are at most 107 bytes with CRLF (§2.1). */
const V1_MAX = 107;
/** A v2 header we accept: 16 bytes + addresses + TLVs, bounded to keep a bad peer cheap. */
const V2_MAX = 16 + 1024;
const NONE: ProxiedAddress = { remoteAddress: undefined, remotePort: undefined };

/** Parse a PROXY header at the start of `buf`. */
export function parseProxyHeader(buf: Buffer): ProxyParse {
  if (buf.length === 0) return { kind: 'incomplete' };
  if (buf[0] === 0x0d) return parseV2(buf);
  if (buf[0] === 0x50) return parseV1(buf);
  return { kind: 'error', why: 'no PROXY protocol header' };
}

function prefixMismatch(buf: Buffer, sig: Buffer): boolean {
  const n = Math.min(buf.length, sig.length);
  return buf.compare(sig, 0, n, 0, n) !== 0;
}

function parseV2(buf: Buffer): ProxyParse {
  if (prefixMismatch(buf, V2_SIG)) return { kind: 'error', why: 'bad PROXY v2 signature' };
  if (buf.length < 16) return { kind: 'incomplete' };
  const verCmd = buf[12]!;
  if (verCmd >> 4 !== 2) return { kind: 'error', why: 'PROXY v2: unsupported version' };
  const cmd = verCmd & 0x0f;
  if (cmd > 1) return { kind: 'error', why: 'PROXY v2: unknown command' };
  const fam = buf[13]!;
  const len = buf.readUInt16BE(14);
  if (16 + len > V2_MAX) return { kind: 'error', why: 'PROXY v2: header too long' };
  if (buf.length < 16 + len) return { kind: 'incomplete' };
  const total = 16 + len;
  // LOCAL: the balancer's own connection (health check); keep the socket's address.
  if (cmd === 0) return { kind: 'ok', length: total, address: NONE };
  const a = 16;
  switch (fam) {
    case 0x11: // TCP over IPv4
    case 0x12: // UDP over IPv4
      if (len < 12) return { kind: 'error', why: 'PROXY v2: short IPv4 address block' };
      return {
        kind: 'ok',
        length: total,
        address: {
          remoteAddress: [...buf.subarray(a, a + 4)].join('.'),
          remotePort: buf.readUInt16BE(a + 8),
        },
      };
    case 0x21: // TCP over IPv6
    case 0x22:
      if (len < 36) return { kind: 'error', why: 'PROXY v2: short IPv6 address block' };
      return {
        kind: 'ok',
        length: total,
        address: { remoteAddress: ipv6(buf.subarray(a, a + 16)), remotePort: buf.readUInt16BE(a + 32) },
      };
    case 0x00: // UNSPEC
      return { kind: 'ok', length: total, address: NONE };
    default:
      // AF_UNIX and unknown families: accepted, address unknown (§2.2 "receivers ... must ignore").
      return { kind: 'ok', length: total, address: NONE };
  }
}

function ipv6(b: Buffer): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(i).toString(16));
  // IPv4-mapped addresses read as the IPv4 address, as Node reports them.
  if (parts.slice(0, 5).every((p) => p === '0') && parts[5] === 'ffff')
    return `::ffff:${[...b.subarray(12)].join('.')}`;
  return parts.join(':');
}

const V1_RE =
  /^PROXY (?:UNKNOWN(?: [^\r\n]*)?|(TCP4|TCP6) ([0-9a-fA-F.:]+) ([0-9a-fA-F.:]+) (\d{1,5}) (\d{1,5}))$/;

function parseV1(buf: Buffer): ProxyParse {
  if (prefixMismatch(buf, V1_PREFIX)) return { kind: 'error', why: 'no PROXY protocol header' };
  const end = buf.indexOf('\r\n');
  if (end < 0)
    return buf.length >= V1_MAX ? { kind: 'error', why: 'PROXY v1: line too long' } : { kind: 'incomplete' };
  if (end + 2 > V1_MAX) return { kind: 'error', why: 'PROXY v1: line too long' };
  const m = V1_RE.exec(buf.toString('latin1', 0, end));
  if (!m) return { kind: 'error', why: 'PROXY v1: malformed line' };
  if (!m[1]) return { kind: 'ok', length: end + 2, address: NONE };
  const port = Number(m[4]);
  if (port > 65535) return { kind: 'error', why: 'PROXY v1: bad port' };
  return { kind: 'ok', length: end + 2, address: { remoteAddress: m[2], remotePort: port } };
}

/**
 * Read the PROXY header off a fresh socket, then hand the socket (with any bytes after the header
 * put back) to `onReady`. A socket without a valid header within `timeoutMs` is destroyed.
 */
export function acceptProxied(
  socket: Socket,
  onReady: (address: ProxiedAddress) => void,
  onRefused: (why: string) => void,
  timeoutMs = 5000,
): void {
  let buf: Buffer = Buffer.alloc(0);
  const timer = setTimeout(() => fail('no PROXY protocol header in time'), timeoutMs);
  const fail = (why: string): void => {
    cleanup();
    onRefused(why);
    socket.destroy();
  };
  const cleanup = (): void => {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('error', onError);
    socket.off('end', onEnd);
  };
  const onError = (): void => fail('socket error before the PROXY header');
  const onEnd = (): void => fail('closed before the PROXY header');
  const onData = (chunk: Buffer): void => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    const r = parseProxyHeader(buf);
    if (r.kind === 'incomplete') return;
    if (r.kind === 'error') return fail(r.why);
    cleanup();
    socket.pause();
    if (r.length < buf.length) socket.unshift(buf.subarray(r.length));
    onReady(r.address);
    socket.resume();
  };
  socket.on('data', onData);
  socket.on('error', onError);
  socket.on('end', onEnd);
}

/**
 * What mqtt-packet's parser lets through and the spec calls malformed, refused at the byte level
 * (the only place the raw bytes are still known). Installed on every parser `parser-pool.ts` makes:
 * - strings that are not well-formed UTF-8 (invalid bytes, overlong encodings, UTF-16 surrogates)
 *   or hold U+0000, in client ids, user names, topics, filters, will topics and string properties
 *   [MQTT-1.5.3-1/2] (3.1.1), [MQTT-1.5.4-1/2] (MQTT 5): mqtt-packet would decode them with U+FFFD;
 * - variable byte integers not in their shortest form [MQTT-1.5.5-1];
 * - (marked for validate.ts) one-byte flag properties other than 0 or 1;
 * - bytes left over after the fields of a packet whose length the spec fixes (trailing bytes in
 *   CONNECT, SUBSCRIBE …, a PINGREQ with a body, a 3.1.1 PUBACK longer than 2) — PUBLISH excepted,
 *   its payload is the rest.
 * The fast path in connection.ts hands any non-ASCII or NUL topic to this parser, so both refuse
 * the same packets.
 */
import { isUtf8 } from 'node:buffer';

interface BufferListLike {
  length: number;
  toString(enc: 'utf8', start: number, end: number): string;
  slice(start: number, end: number): Buffer;
}

/** The parts of mqtt-packet's Parser (parser.js) these checks hook into. */
export interface ParserHooks {
  _list: BufferListLike;
  _pos: number;
  packet: { cmd: string; length: number };
  error: Error | null;
  _parseNum(): number;
  _emitError(err: Error): void;
  _parseString(): string | null;
  _parsePayload(): boolean;
  _parseVarByteNum(fullInfo?: boolean): false | number | { bytes: number; value: number };
  _parseByte(): number | undefined;
  _parseByType(type: string): unknown;
}

/** Same contract as mqtt-packet's `_parseString`, plus the UTF-8 rules. */
function parseStrictString(this: ParserHooks): string | null {
  const length = this._parseNum();
  const start = this._pos;
  const end = start + length;
  if (length === -1 || end > this._list.length || end > this.packet.length) return null;
  const s = this._list.toString('utf8', start, end);
  // U+FFFD appears when decoding replaced bad bytes (or was sent as such): check the bytes then.
  if ((s.includes('\uFFFD') && !isUtf8(this._list.slice(start, end))) || s.includes('\u0000')) {
    this._emitError(new Error('string is not well-formed UTF-8 or contains U+0000 [MQTT-1.5.4-1/2]'));
    return null;
  }
  this._pos = end;
  return s;
}

type VarByte = false | { bytes: number; value: number };

export function makeStrict(p: ParserHooks): void {
  const basePayload = p._parsePayload.bind(p);
  const baseVarByte = p._parseVarByteNum.bind(p);
  const baseByType = p._parseByType.bind(p);
  p._parseString = parseStrictString;
  // One-byte flag properties (Payload Format Indicator, Request Problem / Response Information):
  // mqtt-packet turns any value into a boolean; a value other than 0 or 1 is kept as the number so
  // that validate.ts refuses it as the Protocol Error it is (MQTT 5 §3.1.2.11.6/7).
  p._parseByType = function (this: ParserHooks, type: string): unknown {
    if (type !== 'byte') return baseByType(type);
    const b = this._parseByte();
    return b !== undefined && b > 1 ? b : b !== 0;
  };
  // Remaining lengths, property lengths, Subscription Identifiers: shortest form only.
  p._parseVarByteNum = function (this: ParserHooks, fullInfo?: boolean): VarByte | number {
    const r = baseVarByte(true) as VarByte;
    if (r === false) return false;
    if (r.bytes > 1 && r.value < 128 ** (r.bytes - 1)) {
      this._emitError(new Error('variable byte integer not in its shortest form [MQTT-1.5.5-1]'));
      return false;
    }
    return fullInfo ? r : r.value;
  };
  p._parsePayload = function (this: ParserHooks): boolean {
    const done = basePayload();
    const cmd = this.packet.cmd;
    if (done && this.error === null && cmd !== 'publish' && this._pos !== this.packet.length)
      this._emitError(
        new Error(`${this.packet.length - this._pos} unexpected bytes at the end of ${cmd.toUpperCase()}`),
      );
    return done;
  };
}

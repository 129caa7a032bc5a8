/**
 * mqtt-packet parsers lent to connections only while they hold a partial packet. An idle
 * connection owns no parser (about 1 KB saved per idle connection); a chunk that ends on a packet
 * boundary — the common case — returns the parser to the pool right after `parse()`.
 */
import { parser as createParser, type Packet, type Parser } from 'mqtt-packet';
import { makeStrict, type ParserHooks } from './strict-parser.js';

/** What a parser reports to while lent out. */
export interface ParserOwner {
  onParsedPacket(p: Packet): void;
  onParseFailure(err: Error): void;
}

interface ParserInternals {
  settings: { protocolVersion?: number };
  packet: { length: number };
  _stateCounter: number;
  error: Error | null;
}

export type PooledParser = Parser & ParserInternals & { owner: ParserOwner | undefined };

const pool: PooledParser[] = [];
const POOL_MAX = 64;
const SETTINGS: Record<3 | 4 | 5, { protocolVersion: number }> = {
  3: { protocolVersion: 3 },
  4: { protocolVersion: 4 },
  5: { protocolVersion: 5 },
};

function onPacket(this: PooledParser, p: Packet): void {
  this.owner?.onParsedPacket(p);
}

function onError(this: PooledParser, err: Error): void {
  this.owner?.onParseFailure(err);
}

export function acquireParser(owner: ParserOwner, version: 3 | 4 | 5 | undefined): PooledParser {
  let p = pool.pop();
  if (!p) {
    p = createParser() as PooledParser;
    makeStrict(p as unknown as ParserHooks);
    p.on('packet', onPacket);
    p.on('error', onError);
  }
  p.owner = owner;
  // Before CONNECT the parser learns the version from the CONNECT packet itself.
  p.settings = version === undefined ? {} : SETTINGS[version];
  return p;
}

/** True when the parser holds no partial packet (it can go back to the pool). */
export function parserIdle(p: PooledParser, leftover: number): boolean {
  return leftover === 0 && p._stateCounter === 0 && p.error === null;
}

export function releaseParser(p: PooledParser): void {
  p.owner = undefined;
  if (pool.length < POOL_MAX && p.error === null) pool.push(p);
}

/** Length announced by the packet being received, or -1. */
export function pendingLength(p: PooledParser): number {
  return p.packet.length;
}

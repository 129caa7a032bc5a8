/**
 * Telegram checksums. Each takes the covered bytes and returns the expected value:
 * - `crc16-ccitt`: CRC-16/CCITT-FALSE — poly 0x1021, init 0xFFFF, no reflection, no final XOR
 *   (check value for "123456789" = 0x29B1).
 * - `crc16-modbus`: CRC-16/MODBUS — poly 0x8005 reflected (0xA001), init 0xFFFF (check 0x4B37).
 * - `xor8`: XOR of all bytes.
 * - `sum8`: sum of all bytes modulo 256.
 */
export const CHECKSUM_ALGORITHMS = ['crc16-ccitt', 'crc16-modbus', 'xor8', 'sum8'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

const CCITT_TABLE = new Uint16Array(256);
const MODBUS_TABLE = new Uint16Array(256);
for (let n = 0; n < 256; n++) {
  let c = n << 8;
  for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
  CCITT_TABLE[n] = c;
  let m = n;
  for (let k = 0; k < 8; k++) m = m & 1 ? (m >>> 1) ^ 0xa001 : m >>> 1;
  MODBUS_TABLE[n] = m;
}

export function crc16Ccitt(buf: Uint8Array): number {
  let crc = 0xffff;
  for (const b of buf) crc = ((crc << 8) & 0xffff) ^ CCITT_TABLE[((crc >>> 8) ^ b) & 0xff]!;
  return crc;
}

export function crc16Modbus(buf: Uint8Array): number {
  let crc = 0xffff;
  for (const b of buf) crc = (crc >>> 8) ^ MODBUS_TABLE[(crc ^ b) & 0xff]!;
  return crc;
}

export function xor8(buf: Uint8Array): number {
  let x = 0;
  for (const b of buf) x ^= b;
  return x;
}

export function sum8(buf: Uint8Array): number {
  let s = 0;
  for (const b of buf) s = (s + b) & 0xff;
  return s;
}

export function checksum(algorithm: ChecksumAlgorithm, buf: Uint8Array): number {
  switch (algorithm) {
    case 'crc16-ccitt':
      return crc16Ccitt(buf);
    case 'crc16-modbus':
      return crc16Modbus(buf);
    case 'xor8':
      return xor8(buf);
    case 'sum8':
      return sum8(buf);
  }
}

/** Width in hex digits when the checksum is written as hex. */
export const checksumHexWidth = (a: ChecksumAlgorithm): number => (a.startsWith('crc16') ? 4 : 2);

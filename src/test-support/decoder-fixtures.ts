/**
 * A scooter's CSV telegram and its decoder, shared by the tests that send one end to end (telemetry's
 * model decoders, rules' decoded()): `T1,<soc>,<CRC-16/IBM-3740 in hex>`.
 */
import { crc16Ccitt } from '../telemetry/index.js';

export const SCOOTER_CSV_DECODER = {
  id: 'scooter-csv',
  type: 'csv',
  spec: {
    minFields: 3,
    checksum: { algorithm: 'CRC-16/IBM-3740' },
    fields: [
      { index: 0, name: 'record', type: 'string' },
      { index: 1, name: 'soc', type: 'int' },
    ],
  },
};

/** One telegram line (no newline) reporting state of charge `soc`. */
export const scooterTelegram = (soc: number): string => {
  const body = `T1,${soc}`;
  return `${body},${crc16Ccitt(Buffer.from(body)).toString(16).padStart(4, '0')}`;
};

/**
 * The shapes every part of telemetry shares: what a decoder produces (points, events, attributes),
 * what the store keeps, and the declarative decoder definitions users write and keep in git.
 */
import type { Severity } from '../core/index.js';

export type { Severity };

/** One numeric sample of one metric of one device. Unique per (deviceId, metric, ts). */
export interface Point {
  deviceId: string;
  metric: string;
  /** Epoch milliseconds. */
  ts: number;
  value: number;
}

/** A readable device event: decoded hardware status, a device-sent event, or a decode_error. */
export interface DeviceEvent {
  deviceId: string;
  ts: number;
  code: string;
  severity: Severity;
  message: string;
  fields?: Record<string, unknown>;
}

/** A non-numeric last value (enum label, string field) kept in the latest-value table. */
export interface Attribute {
  deviceId: string;
  name: string;
  ts: number;
  text: string;
}

/** What decoding one message yields before the device id and arrival time are applied. */
export interface DecodedValues {
  /** Message time (epoch ms) from the payload, when the decoder found one. */
  ts?: number;
  /** Device id found in the payload (telegram field or JSON path), when the decoder has one. */
  deviceId?: string;
  metrics: { name: string; value: number; unit?: string }[];
  events: { code: string; severity: Severity; message: string; fields?: Record<string, unknown> }[];
  attributes: { name: string; text: string }[];
}

export type DecodeOutcome = { ok: true; values: DecodedValues } | { ok: false; reason: string };

export type DecoderType = 'json' | 'csv' | 'protobuf';

/** A decoder definition as stored, imported and exported (YAML/JSON). `spec` depends on `type`. */
export interface DecoderDefinition {
  id: string;
  name: string;
  type: DecoderType;
  description?: string;
  spec: Record<string, unknown>;
}

/** A compiled decoder: pure, never throws (failures come back as `{ ok: false }`). */
export interface Decoder {
  readonly definition: DecoderDefinition;
  decode(payload: Buffer): DecodeOutcome;
}

/** A table entry turning a code (error code, status bit) into a readable event. */
export interface EventTemplate {
  code: string;
  severity: Severity;
  message: string;
}

export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'error', 'critical'];

/** Severities that count as a hardware error for `device.message.hardwareError`. */
export const isHardwareSeverity = (s: Severity): boolean => s === 'error' || s === 'critical';

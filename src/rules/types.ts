/** The rules module's data: rule definitions, their actions, and queued action deliveries. */

export const ACTION_TYPES = [
  'republish',
  'http',
  'postgres',
  'amqp',
  'nats',
  'telemetry',
  'shadow',
  'command',
  'notify',
  'alarm',
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

interface ActionBase {
  /** Attempts before the action counts as failed and the error action runs (default 5). */
  maxAttempts?: number;
  /** Most deliveries per second for this action; matches beyond it are dropped and counted. */
  ratePerSecond?: number;
}

/** Strings marked "template" may hold `${expression}` substitutions (AWS substitution templates). */
export interface RepublishAction extends ActionBase {
  type: 'republish';
  /** Topic template, e.g. `alerts/${topic(2)}`. */
  topic: string;
  qos?: 0 | 1;
  retain?: boolean;
  /** MQTT 5 user properties; values are templates. */
  userProperties?: Record<string, string>;
}

export interface HttpAction extends ActionBase {
  type: 'http';
  /** URL template. */
  url: string;
  method?: 'POST' | 'PUT' | 'PATCH';
  /** Header values are templates. */
  headers?: Record<string, string>;
  /** Body template; default: the SELECT output as JSON. */
  body?: string;
  /** HMAC-SHA256 key: `X-Tsunagu-Signature: sha256=<hex>` over the body (as notify's webhooks). Write-only. */
  secret?: string;
  timeoutMs?: number;
}

export interface PostgresAction extends ActionBase {
  type: 'postgres';
  /** Connection URL of the user's database (write-only: it may hold a password). */
  url: string;
  /** Table name, optionally schema-qualified (`metrics.readings`). */
  table: string;
  /** Column → template; `${expr}` alone keeps the value's type, anything else is text. Bound, never interpolated. */
  columns: Record<string, string>;
}

export interface AmqpAction extends ActionBase {
  type: 'amqp';
  /** amqp:// URL (write-only: it may hold a password). */
  url: string;
  /** Exchange ('' is the default exchange, routing straight to the queue named by the routing key). */
  exchange: string;
  /** Routing key template. */
  routingKey: string;
  persistent?: boolean;
}

export interface NatsAction extends ActionBase {
  type: 'nats';
  /** nats:// URL (write-only: it may hold credentials). */
  url: string;
  /** Subject template. */
  subject: string;
}

/** The device a platform action acts on: a template, default `${clientid()}` (the publisher). */
interface DeviceTarget {
  device?: string;
}

/** Write the SELECT output's numbers as points (strings as attributes) of a device. */
export interface TelemetryAction extends ActionBase, DeviceTarget {
  type: 'telemetry';
}

/** Update a device shadow's desired or reported state with the SELECT output (an object). */
export interface ShadowAction extends ActionBase, DeviceTarget {
  type: 'shadow';
  /** Named shadow; '' or absent = the classic shadow. */
  shadowName?: string;
  /** Which part of the state the output goes to (default `desired`). */
  section?: 'desired' | 'reported';
}

/** Send a command to a device, the SELECT output as its params; its outcome is tracked per rule. */
export interface CommandAction extends ActionBase, DeviceTarget {
  type: 'command';
  name: string;
  timeoutMs?: number;
  /** `reject` (default): an offline device fails the attempt (retried); `queue`: held until it connects. */
  offline?: 'reject' | 'queue';
}

/** A notification through notify's routes (kind `rule`) and channels. */
export interface NotifyAction extends ActionBase {
  type: 'notify';
  /** Title template. */
  title: string;
  severity?: 'info' | 'warning' | 'error' | 'critical';
  /** Device template (routes filter on its model and tags); none by default. */
  device?: string;
}

/**
 * Raise an alarm (alarms module, source `rule`): one active alarm per (device or rule, name); a
 * repeat updates it. `clear: true` clears the matching active alarm instead (a recovery rule).
 */
export interface AlarmAction extends ActionBase {
  type: 'alarm';
  /** The alarm type, e.g. `overheat` (letters, digits, _, . and -). */
  name: string;
  severity?: 'info' | 'warning' | 'error' | 'critical';
  /** Message template; default the alarm name. */
  message?: string;
  /** Device template; none by default (the alarm is then the rule's own). */
  device?: string;
  clear?: boolean;
}

export type PlatformActionDef = TelemetryAction | ShadowAction | CommandAction | NotifyAction | AlarmAction;

export type ActionDef =
  RepublishAction | HttpAction | PostgresAction | AmqpAction | NatsAction | PlatformActionDef;

export interface RuleDef {
  /** Identifier: letters, digits and underscores (as AWS rule names). */
  name: string;
  description?: string;
  /** The AWS IoT SQL statement (version 2016-03-23). */
  sql: string;
  enabled: boolean;
  actions: ActionDef[];
  /** Runs once per action that failed its last attempt, with AWS's error payload. */
  errorAction?: ActionDef;
}

export interface StoredRule extends RuleDef {
  createdAt: number;
  updatedAt: number;
}

/** Where a delivery's message came from (the error action's payload is built from it). */
export interface Origin {
  topic: string;
  clientId: string | null;
  /** The original payload, base64 (AWS error action: `base64OriginalPayload`). */
  payload: string;
}

/** A rendered action request: everything the peer needs except secrets, which come from the rule. */
export interface Rendered {
  /** republish topic / http url / amqp routing key / nats subject / postgres table / device id / notify title / alarm message */
  target: string;
  /** The message body, base64 (bytes exactly as they will be sent). */
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
  /** notify, alarm: the device the notification or alarm is about. */
  device?: string;
  /** republish: the rules this message has passed through, this one last (loop protection). */
  rulePath?: string;
  /** postgres: column → value, in the action's column order. */
  values?: [string, unknown][];
}

/**
 * A queued action delivery (lifecycle):
 *  - `pending`: waiting for its next attempt (`nextAttemptAt`)
 *  - `delivered`: the peer accepted it
 *  - `failed`: the last attempt failed; the error action (if any) was queued
 */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface Delivery {
  id: string;
  rule: string;
  /** Index into the rule's `actions`; -1 for the error action. */
  action: number;
  actionType: ActionType;
  request: Rendered;
  origin: Origin;
  status: DeliveryStatus;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

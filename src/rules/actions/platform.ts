/**
 * Platform actions: a rule writes telemetry, updates a shadow, sends a command or notifies, through
 * the other modules' public APIs (wired by the app as `PlatformActions`, so rules/ depends on none
 * of them). Each success on a device leaves an entry in that device's event log (`rule_action`).
 * A command's outcome arrives later (`command.finished`); the runner remembers which rule sent it.
 */
import type { Actor, Severity } from '../../core/index.js';
import type { Delivery, PlatformActionDef } from '../types.js';

export interface RuleCommandRequest {
  name: string;
  params: unknown;
  timeoutMs?: number;
  offline?: 'reject' | 'queue';
  /** The delivery id and attempt: a retry after a crash does not send the command twice. */
  idempotencyKey: string;
}

export interface RuleNotification {
  /** The delivery id: notify deduplicates on it. */
  eventId: string;
  rule: string;
  title: string;
  severity: Severity;
  at: number;
  deviceId?: string;
  data: Record<string, unknown>;
}

/** A rule's alarm (alarms module): raise, or clear the matching active one. */
export interface RuleAlarmRequest {
  rule: string;
  name: string;
  severity: Severity;
  message: string;
  deviceId?: string;
  clear?: boolean;
  at: number;
  data: Record<string, unknown>;
}

/** What the app wires from telemetry, shadows, commands and notify (docs/rules.md, "Actions"). */
export interface PlatformActions {
  writeTelemetry(deviceId: string, json: Buffer): Promise<unknown>;
  updateShadow(
    deviceId: string,
    shadowName: string,
    state: Record<string, unknown>,
    actor: Actor,
  ): Promise<unknown>;
  /** Resolves with the command as created (or found again by its idempotency key). */
  sendCommand(
    deviceId: string,
    req: RuleCommandRequest,
    actor: Actor,
  ): Promise<{ id: string; status: string; errorCode?: string | null; errorMessage?: string | null }>;
  notify(n: RuleNotification): Promise<unknown>;
  /** The `alarm` action (absent where no alarms module is wired: the action then fails). */
  alarm?(a: RuleAlarmRequest): Promise<unknown>;
  logEvent(e: {
    deviceId: string;
    ts: number;
    code: string;
    severity: Severity;
    message: string;
    fields: Record<string, unknown>;
  }): Promise<unknown>;
}

const bodyOf = (d: Delivery): unknown => {
  const raw = Buffer.from(d.request.body ?? '', 'base64');
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return raw.toString('base64');
  }
};

export class PlatformSender {
  /** command id → rule, for `command.finished` outcomes (bounded: oldest forgotten first). */
  readonly commands = new Map<string, string>();

  constructor(
    private readonly p: PlatformActions | undefined,
    private readonly now: () => number,
  ) {}

  async send(a: PlatformActionDef, d: Delivery): Promise<void> {
    const p = this.p;
    if (!p) throw new Error(`${a.type} actions are not available on this platform`);
    const actor: Actor = { kind: 'rule', id: d.rule, name: d.rule };
    const device = d.request.target;
    let what: string;
    const fields: Record<string, unknown> = { rule: d.rule, action: a.type, delivery: d.id };
    switch (a.type) {
      case 'telemetry':
        await p.writeTelemetry(device, Buffer.from(d.request.body ?? '', 'base64'));
        what = 'wrote telemetry';
        break;
      case 'shadow': {
        const state = bodyOf(d);
        if (state === null || typeof state !== 'object' || Array.isArray(state))
          throw new Error('shadow: the SELECT output must be an object');
        const section = a.section ?? 'desired';
        await p.updateShadow(device, a.shadowName ?? '', { [section]: state }, actor);
        what = `updated the ${a.shadowName ? `${a.shadowName} shadow` : 'shadow'} (${section})`;
        break;
      }
      case 'command': {
        const c = await p.sendCommand(
          device,
          {
            name: a.name,
            params: bodyOf(d),
            ...(a.timeoutMs !== undefined ? { timeoutMs: a.timeoutMs } : {}),
            ...(a.offline ? { offline: a.offline } : {}),
            idempotencyKey: `rule:${d.id}:${d.attempts}`,
          },
          actor,
        );
        if (c.status === 'rejected' || c.status === 'failed')
          throw new Error(
            `command ${a.name} ${c.status}: ${c.errorCode ?? ''} ${c.errorMessage ?? ''}`.trim(),
          );
        this.remember(c.id, d.rule);
        fields.commandId = c.id;
        what = `sent command ${a.name} (${c.id})`;
        break;
      }
      case 'notify': {
        await p.notify({
          eventId: d.id,
          rule: d.rule,
          title: d.request.target,
          severity: a.severity ?? 'warning',
          at: d.createdAt,
          ...(d.request.device ? { deviceId: d.request.device } : {}),
          data: { rule: d.rule, output: bodyOf(d), topic: d.origin.topic },
        });
        return;
      }
      case 'alarm': {
        if (!p.alarm) throw new Error('alarm actions are not available on this platform');
        await p.alarm({
          rule: d.rule,
          name: a.name,
          severity: a.severity ?? 'warning',
          message: d.request.target,
          ...(d.request.device ? { deviceId: d.request.device } : {}),
          ...(a.clear ? { clear: true } : {}),
          at: d.createdAt,
          data: { rule: d.rule, output: bodyOf(d), topic: d.origin.topic },
        });
        return;
      }
    }
    await p.logEvent({
      deviceId: device,
      ts: this.now(),
      code: 'rule_action',
      severity: 'info',
      message: `rule ${d.rule} ${what}`,
      fields,
    });
  }

  private remember(commandId: string, rule: string): void {
    if (this.commands.size >= 100_000) {
      const oldest = this.commands.keys().next().value;
      if (oldest !== undefined) this.commands.delete(oldest);
    }
    this.commands.set(commandId, rule);
  }
}

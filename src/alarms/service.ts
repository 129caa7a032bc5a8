/**
 * Alarms as other code uses them: raise (a repeat of an active alarm updates it), clear a
 * condition that ended by itself (`system`), and a person's ack and clear with compare-and-set
 * transitions (409 when the alarm is already past that step). Time from the injected clock.
 */
import type { Clock, Logger } from '../core/index.js';
import {
  NEXT,
  type Alarm,
  type AlarmCount,
  type AlarmQuery,
  type AlarmRaise,
  type AlarmSource,
  type AlarmsStore,
  type AlarmState,
} from './alarms-store.js';
import { AlarmErrors } from './errors.js';

/** Who clears an alarm whose condition ended by itself. */
export const SYSTEM = 'system';

export type AlarmChange = { alarm: Alarm; change: 'raised' | 'updated' | 'acknowledged' | 'cleared' };

export class AlarmsService {
  private readonly listeners = new Set<(c: AlarmChange) => void>();

  constructor(
    private readonly store: AlarmsStore,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Called after every change (metrics, tests). */
  onChange(fn: (c: AlarmChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async raise(r: Omit<AlarmRaise, 'at'> & { at?: number }): Promise<Alarm> {
    const { alarm, created } = await this.store.raise({ ...r, at: r.at ?? this.clock.now() });
    this.emit({ alarm, change: created ? 'raised' : 'updated' });
    return alarm;
  }

  /** The condition behind an active alarm ended: clear it (no-op when none is active). */
  async clearCondition(
    source: AlarmSource,
    originator: string,
    type: string,
    by = SYSTEM,
  ): Promise<Alarm | undefined> {
    const active = await this.store.findActive(source, originator, type);
    if (!active) return undefined;
    const alarm = await this.store.transition(active.id, Object.keys(NEXT.clear) as AlarmState[], {
      kind: 'clear',
      by,
      at: this.clock.now(),
    });
    if (alarm) this.emit({ alarm, change: 'cleared' });
    return alarm;
  }

  ack(id: number, by: string): Promise<Alarm> {
    return this.transition(id, 'ack', by);
  }

  clear(id: number, by: string): Promise<Alarm> {
    return this.transition(id, 'clear', by);
  }

  async get(id: number): Promise<Alarm> {
    const a = await this.store.get(id);
    if (!a) throw AlarmErrors.notFound(id);
    return a;
  }

  list(q: AlarmQuery): Promise<Alarm[]> {
    return this.store.list(q);
  }

  countActive(): Promise<AlarmCount[]> {
    return this.store.countActive();
  }

  private async transition(id: number, kind: 'ack' | 'clear', by: string): Promise<Alarm> {
    const from = Object.keys(NEXT[kind]) as AlarmState[];
    const alarm = await this.store.transition(id, from, { kind, by, at: this.clock.now() });
    if (alarm) {
      this.emit({ alarm, change: kind === 'ack' ? 'acknowledged' : 'cleared' });
      return alarm;
    }
    const now = await this.get(id); // 404 when missing
    throw AlarmErrors.illegalTransition(id, now.state, kind);
  }

  private emit(c: AlarmChange): void {
    for (const fn of this.listeners)
      try {
        fn(c);
      } catch (err) {
        this.log.error({ err }, 'alarms: a change listener failed');
      }
  }
}

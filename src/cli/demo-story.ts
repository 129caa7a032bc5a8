/**
 * What happens in the demo after the fleet is up: riders unlock and lock scooters, a scripted
 * incident starts, alerts and is repaired within the first ten minutes, and a field crew returns
 * machines to service the way a real operations team would (with a note in the history).
 *
 * Story (minutes after start; `storyMinuteMs` compresses it in tests):
 *   1.5  two scooters' battery cells report errors three times → out of service (battery_cell)
 *   2.5  a scooter's lock jams → out of service at once; a rider keeps trying it → unlocks fail,
 *        the unlock SLO's fast burn-rate alert fires
 *   6    the crew swaps the battery modules, frees the lock and fixes the stuck boiler; devices
 *        return to service, the rider's unlocks succeed again, the alert clears
 * From then on the crew repairs any machine out of service for four story minutes.
 */
import type { Logger } from '../core/index.js';
import type { SimDevice, Simulation } from '../sim/index.js';

export type DemoApi = (method: string, path: string, body?: unknown) => Promise<unknown>;

export interface StoryOptions {
  api: DemoApi;
  log: Logger;
  scooters: Simulation;
  boilers: Simulation;
  /** The boiler that ignores its schedule until the crew fixes it (already told to ignore). */
  stuckBoiler?: SimDevice;
  /** Real milliseconds per story minute (default 60,000). */
  storyMinuteMs: number;
  commandEveryMs: number;
}

export interface StoryEvent {
  at: number;
  text: string;
}

export interface Story {
  /** What happened so far, oldest first (also logged as `demo story: …`). */
  readonly events: readonly StoryEvent[];
  stop(): void;
}

interface OutOfService {
  deviceId: string;
  since: number;
  reasons: string[];
}

const online = (sim: Simulation): SimDevice[] => sim.devices.filter((d) => d.state === 'online');

export function startStory(o: StoryOptions): Story {
  const events: StoryEvent[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const minute = o.storyMinuteMs;
  /** Devices the platform holds out of service (refreshed by the crew's rounds). */
  let outOfService = new Map<string, OutOfService>();
  let jammed: SimDevice | undefined;
  const incident = new Set<SimDevice>();
  let stopped = false;

  const tell = (text: string): void => {
    events.push({ at: Date.now(), text });
    o.log.info({ story: true }, `demo story: ${text}`);
  };
  const later = (ms: number, fn: () => void | Promise<void>): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (stopped) return;
      Promise.resolve(fn()).catch((err: unknown) => o.log.warn({ err }, 'demo story step failed'));
    }, ms);
    t.unref();
    timers.add(t);
  };
  const pickScooters = (n: number): SimDevice[] =>
    online(o.scooters)
      .filter((d) => d !== jammed && !incident.has(d) && !outOfService.has(d.id))
      .slice(0, n);

  // 1.5: battery cells.
  later(1.5 * minute, () => {
    const hit = pickScooters(2);
    for (const d of hit) {
      incident.add(d);
      for (let i = 0; i < 3; i++) later(i * 2_000, () => void d.reportError('E_BATTERY_CELL'));
    }
    if (hit.length > 0)
      tell(
        `battery cells of ${hit.map((d) => d.id).join(' and ')} report errors (3 in 10 min → out of service)`,
      );
  });
  // 2.5: a jammed lock; a rider keeps trying that scooter (the driver below).
  later(2.5 * minute, () => {
    const [d] = pickScooters(1);
    if (!d || !d.reportError('E_LOCK_JAM')) return;
    jammed = d;
    incident.add(d);
    tell(`the lock of ${d.id} jams (critical → out of service); a rider keeps trying to unlock it`);
  });
  // 6: the crew arrives.
  later(6 * minute, async () => {
    const scooters = [...incident];
    jammed = undefined;
    incident.clear();
    for (const d of scooters)
      await repair(d, 'demo crew: battery module swapped or lock freed, test ride OK', true);
    if (o.stuckBoiler) {
      await repair(o.stuckBoiler, 'demo crew: controller reset', false);
      tell(`the crew reset ${o.stuckBoiler.id}; it applies its schedule again`);
    }
    if (scooters.length > 0)
      tell(`the crew repaired ${scooters.map((d) => d.id).join(', ')}; back in service`);
  });

  async function repair(d: SimDevice, note: string, returnToService: boolean): Promise<void> {
    d.repair();
    if (returnToService) {
      await o.api('PUT', `/devices/${encodeURIComponent(d.id)}/service-state`, { state: 'in_service', note });
      outOfService.delete(d.id);
    }
  }

  // The crew's rounds: learn who is out; repair what has been out for four story minutes (not the
  // incident's devices before minute 6, so the story reads as written).
  const byId = new Map([...o.scooters.devices, ...o.boilers.devices].map((d) => [d.id, d]));
  const round = async (): Promise<void> => {
    const page = (await o.api('GET', '/fleet/out-of-service?limit=1000')) as { items?: OutOfService[] };
    outOfService = new Map((page.items ?? []).map((x) => [x.deviceId, x]));
    for (const x of outOfService.values()) {
      const d = byId.get(x.deviceId);
      if (!d || incident.has(d) || Date.now() - x.since < 4 * minute) continue;
      // heartbeat_lost alone clears itself when the device is back; a dead battery needs a swap.
      if (x.reasons.every((r) => r === 'heartbeat_lost') && d.state !== 'dead') continue;
      await repair(d, `demo crew: field check done (${x.reasons.join(', ')})`, true);
      tell(`the crew fixed ${d.id} (${x.reasons.join(', ')})`);
    }
  };
  const crew = setInterval(
    () => {
      round().catch((err: unknown) => o.log.debug({ err }, 'demo crew round failed'));
    },
    Math.max(1_000, minute / 4),
  );
  crew.unref();

  // Riders: unlock a scooter that is online and in service, lock it on the next tick. During the
  // jam one rider insists on the jammed scooter every third command.
  let unlocked: string | undefined;
  let n = 0;
  const driver = setInterval(() => {
    n++;
    let id: string | undefined;
    let name: 'lock' | 'unlock';
    if (jammed && n % 3 === 0) {
      id = jammed.id;
      name = 'unlock';
    } else if (unlocked) {
      id = unlocked;
      name = 'lock';
      unlocked = undefined;
    } else {
      const ready = online(o.scooters).filter((d) => !outOfService.has(d.id) && d !== jammed);
      id = ready[Math.floor(Math.random() * ready.length)]?.id;
      name = 'unlock';
      unlocked = id;
    }
    if (!id) return;
    o.api('POST', `/devices/${encodeURIComponent(id)}/commands`, {
      name,
      params: { ride: n },
      timeoutMs: 3000,
      offline: 'reject',
    }).catch((err: unknown) => o.log.debug({ err }, 'demo command failed'));
  }, o.commandEveryMs);
  driver.unref();

  return {
    events,
    stop() {
      stopped = true;
      clearInterval(crew);
      clearInterval(driver);
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}

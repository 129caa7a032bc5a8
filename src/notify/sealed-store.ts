/**
 * Channel secrets are encrypted in the store and plain in memory: this wraps a NotifyStore so the
 * Slack webhook URL, the webhook URL and the signing secret are sealed on write and opened on read.
 * `sealPlainChannels` seals rows written before encryption existed (run once on start).
 */
import type { NotifyStore } from './notify-store.js';
import { SecretBox } from '../core/index.js';
import type { Channel } from './types.js';

function mapSecrets(c: Channel, f: (v: string) => string): Channel {
  const out: Channel = { ...c, url: f(c.url) };
  if (c.secret !== undefined && c.secret !== '') out.secret = f(c.secret);
  return out;
}

export function sealedChannelStore(store: NotifyStore, box: SecretBox): NotifyStore {
  const open = (c: Channel): Channel => mapSecrets(c, (v) => box.open(v));
  return {
    ...store, // both adapters are plain objects of closures: spreading keeps every other method
    listChannels: async () => (await store.listChannels()).map(open),
    getChannel: async (id) => {
      const c = await store.getChannel(id);
      return c && open(c);
    },
    putChannel: (c) => store.putChannel(mapSecrets(c, (v) => box.seal(v))),
  };
}

/** Seal every channel still holding a plain secret; returns how many rows changed. */
export async function sealPlainChannels(raw: NotifyStore, box: SecretBox): Promise<number> {
  let changed = 0;
  for (const c of await raw.listChannels()) {
    const plain =
      !SecretBox.isSealed(c.url) ||
      (c.secret !== undefined && c.secret !== '' && !SecretBox.isSealed(c.secret));
    if (!plain) continue;
    await raw.putChannel(mapSecrets(c, (v) => (SecretBox.isSealed(v) ? v : box.seal(v))));
    changed++;
  }
  return changed;
}

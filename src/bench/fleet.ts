/** A benchmark fleet: one mqtt.js client per id, connected in batches of 100. */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export async function connectFleet(
  url: string,
  ids: string[],
  opts: IClientOptions = {},
): Promise<MqttClient[]> {
  const clients: MqttClient[] = [];
  // Batches keep the connect burst polite on a shared machine.
  for (let i = 0; i < ids.length; i += 100) {
    const batch = ids.slice(i, i + 100).map(
      (id) =>
        new Promise<MqttClient>((resolve, reject) => {
          const c = mqtt.connect(url, {
            clientId: id,
            protocolVersion: 4,
            reconnectPeriod: 0,
            connectTimeout: 30_000,
            ...opts,
          });
          c.once('connect', () => resolve(c));
          c.once('error', reject);
        }),
    );
    clients.push(...(await Promise.all(batch)));
  }
  return clients;
}

/** Real-platform helpers for the jobs end-to-end tests and benchmark: API calls, devices, mqtt.js inboxes. */
import type { MqttClient } from 'mqtt';
import type { TestPlatform } from '../test-support/platform.js';

import { api, connect, registerDevice, type Body } from '../test-support/platform-api.js';
export { api, connect, registerDevice, type Body };

/** A registered device connected with mqtt.js and subscribed to its jobs topics. */
export async function jobsDevice(
  p: TestPlatform,
  id: string,
  model?: string,
  protocolVersion: 4 | 5 = 4,
): Promise<{ client: MqttClient; inbox: Inbox }> {
  const secret = await registerDevice(p, id, model);
  const client = await connect(p.mqttUrl, id, { username: id, password: secret, protocolVersion });
  const inbox = new Inbox(client);
  await client.subscribeAsync(`$aws/things/${id}/jobs/#`, { qos: 1 });
  return { client, inbox };
}

/** Every message a client receives, and a way to wait for the next one on a topic. */
export class Inbox {
  readonly messages: { topic: string; body: Body }[] = [];
  private waiting: { topics: string[]; resolve: (m: { topic: string; body: Body }) => void }[] = [];

  constructor(client: MqttClient) {
    client.on('message', (topic, payload) => {
      let body: Body;
      try {
        body = JSON.parse(payload.toString()) as Body;
      } catch {
        body = { raw: payload.toString() };
      }
      this.messages.push({ topic, body });
      this.waiting = this.waiting.filter((w) => {
        if (!w.topics.includes(topic)) return true;
        w.resolve({ topic, body });
        return false;
      });
    });
  }

  /** The next message on `topic` after `mark` (default: now), waiting up to 5 s. */
  async next(topic: string, mark = this.messages.length): Promise<Body> {
    return (await this.nextOf([topic], mark)).body;
  }

  /** The next message on any of `topics` after `mark`, waiting up to 5 s. */
  nextOf(topics: string[], mark = this.messages.length): Promise<{ topic: string; body: Body }> {
    const seen = this.messages.slice(mark).find((m) => topics.includes(m.topic));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no message on ${topics.join(' or ')} within 5 s`)),
        5000,
      );
      this.waiting.push({
        topics,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  on(topic: string): Body[] {
    return this.messages.filter((m) => m.topic === topic).map((m) => m.body);
  }
}

/** Publish a request and wait for its answer on …/accepted or …/rejected. */
export async function ask(
  c: { client: MqttClient; inbox: Inbox },
  topic: string,
  body: unknown = {},
): Promise<{ ok: boolean; body: Body }> {
  const mark = c.inbox.messages.length;
  const answer = c.inbox.nextOf([`${topic}/accepted`, `${topic}/rejected`], mark);
  await c.client.publishAsync(topic, typeof body === 'string' ? body : JSON.stringify(body), { qos: 1 });
  const m = await answer;
  return { ok: m.topic.endsWith('/accepted'), body: m.body };
}

export const endClient = (c: MqttClient): Promise<void> => new Promise((r) => c.end(false, {}, () => r()));

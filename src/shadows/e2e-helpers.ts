/** Real-platform helpers for the shadows end-to-end tests and benchmark: devices, mqtt.js clients, inboxes. */
import type { MqttClient } from 'mqtt';

import { api, connect, registerDevice, type Body } from '../test-support/platform-api.js';
export { api, connect, registerDevice, type Body };

/** Every message a client receives, and a way to wait for the next one on a topic. */
export class Inbox {
  readonly messages: { topic: string; body: Body; properties?: Record<string, unknown> }[] = [];
  private waiting: { topic: string; from: number; resolve: (b: Body) => void }[] = [];

  constructor(client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      let body: Body;
      try {
        body = JSON.parse(payload.toString()) as Body;
      } catch {
        body = { raw: payload.toString() };
      }
      this.messages.push({ topic, body, ...(packet.properties ? { properties: packet.properties } : {}) });
      this.waiting = this.waiting.filter((w) => {
        if (w.topic !== topic) return true;
        w.resolve(body);
        return false;
      });
    });
  }

  /** The next message on `topic` after `mark` (default: now), waiting up to 5 s. */
  next(topic: string, mark = this.messages.length): Promise<Body> {
    const seen = this.messages.slice(mark).find((m) => m.topic === topic);
    if (seen) return Promise.resolve(seen.body);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no message on ${topic} within 5 s`)), 5000);
      this.waiting.push({
        topic,
        from: mark,
        resolve: (b) => {
          clearTimeout(timer);
          resolve(b);
        },
      });
    });
  }

  on(topic: string): Body[] {
    return this.messages.filter((m) => m.topic === topic).map((m) => m.body);
  }
}

export const endClient = (c: MqttClient): Promise<void> => new Promise((r) => c.end(false, {}, () => r()));

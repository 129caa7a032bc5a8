/** Real-platform helpers for the shadows end-to-end tests and benchmark: devices, mqtt.js clients, inboxes. */
import assert from 'node:assert/strict';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { TestPlatform } from '../test-support/platform.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are read loosely in tests
export type Body = Record<string, any>;

export async function api(
  p: TestPlatform,
  method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH',
  url: string,
  payload?: unknown,
): Promise<{ status: number; body: Body }> {
  const r = await p.app.http.inject({
    method,
    url: `/api/v1${url}`,
    headers: p.auth,
    ...(payload === undefined ? {} : { payload: payload as Body }),
  });
  return { status: r.statusCode, body: r.body ? (JSON.parse(r.body) as Body) : {} };
}

/** Register a device (optionally with a model) and a password credential; returns the secret. */
export async function registerDevice(p: TestPlatform, id: string, model?: string): Promise<string> {
  const d = await api(p, 'POST', '/devices', { id, ...(model ? { model } : {}) });
  assert.equal(d.status, 201, JSON.stringify(d.body));
  const c = await api(p, 'POST', `/devices/${id}/credentials`, {});
  assert.equal(c.status, 201, JSON.stringify(c.body));
  return c.body.secret as string;
}

export function connect(url: string, clientId: string, opts: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { clientId, reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
  });
}

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

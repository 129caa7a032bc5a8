/**
 * Firmware artifacts: uploads streamed to `<dataDir>/artifacts/<id>` with their sha256 computed on
 * the way, optional ed25519 signatures (over the sha256 digest), and per-execution download URLs:
 * signed with HMAC-SHA256, bound to one device and an expiry, served with HTTP Range support. The
 * keys live in the jobs store, so every node of a cluster signs and verifies alike.
 */
import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  sign,
  timingSafeEqual,
} from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { JobErrors } from './errors.js';
import type { Artifact, JobsStore } from './jobs-store.js';
import type { Execution, Job } from './types.js';

export interface ArtifactOptions {
  /** Where artifact files live (`--artifacts-dir`, default `<data dir>/artifacts`). */
  dir: string;
  /** Base URL devices reach the HTTP API at, e.g. `https://fleet.example.com`. */
  publicUrl(): string;
  now(): number;
  /** Largest upload (default 512 MiB). */
  maxBytes?: number;
}

/** `${tsunagu:artifact-url:<id>}` and friends; `${aws:iot:s3-presigned-url:<url>}` maps its last path segment. */
const PLACEHOLDER =
  /\$\{(tsunagu:artifact-(?:url|sha256|signature|size)|aws:iot:s3-presigned-url):([^}]+)\}/g;

export const DEFAULT_URL_SECONDS = 3600;

export class Artifacts {
  readonly dir: string;
  private urlKey: Buffer | undefined;
  private signingKey: string | undefined;

  constructor(
    private readonly store: JobsStore,
    private readonly o: ArtifactOptions,
  ) {
    this.dir = o.dir;
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    this.urlKey = Buffer.from(
      await this.store.setting('artifact-url-key', randomBytes(32).toString('base64')),
      'base64',
    );
    const { privateKey } = generateKeyPairSync('ed25519');
    this.signingKey = await this.store.setting(
      'artifact-signing-key',
      privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    );
  }

  /** The public half of the signing key (PEM), for devices to verify signatures. */
  publicKey(): string {
    return createPublicKey(createPrivateKey(this.signingKey!))
      .export({ type: 'spki', format: 'pem' })
      .toString();
  }

  path(id: string): string {
    return join(this.dir, id);
  }

  /** Stream `body` to disk, hashing it; the metadata row is written once the file is complete. */
  async upload(body: Readable, name: string, contentType: string, signed: boolean): Promise<Artifact> {
    const id = randomUUID();
    const tmp = join(this.dir, `.${id}.part`);
    const hash = createHash('sha256');
    const max = this.o.maxBytes ?? 512 * 1024 * 1024;
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > max) return cb(JobErrors.artifactTooLarge(max));
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(body, counter, createWriteStream(tmp, { flags: 'wx' }));
      await rename(tmp, this.path(id));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    const digest = hash.digest();
    const a: Artifact = {
      id,
      name,
      size,
      sha256: digest.toString('hex'),
      signature: signed ? sign(null, digest, createPrivateKey(this.signingKey!)).toString('base64') : null,
      contentType,
      createdAt: this.o.now(),
    };
    await this.store.putArtifact(a);
    return a;
  }

  async remove(id: string): Promise<boolean> {
    const ok = await this.store.deleteArtifact(id);
    if (ok) await rm(this.path(id), { force: true });
    return ok;
  }

  private mac(id: string, deviceId: string, expires: number): Buffer {
    return createHmac('sha256', this.urlKey!).update(`${id}\n${deviceId}\n${expires}`).digest();
  }

  url(id: string, deviceId: string, expiresInSec = DEFAULT_URL_SECONDS): string {
    const expires = Math.floor(this.o.now() / 1000) + expiresInSec;
    const sig = this.mac(id, deviceId, expires).toString('base64url');
    const q = new URLSearchParams({ device: deviceId, expires: String(expires), signature: sig });
    return `${this.o.publicUrl().replace(/\/$/, '')}/api/v1/jobs/artifacts/${encodeURIComponent(id)}/download?${q.toString()}`;
  }

  /** Throws unless the URL was signed for this artifact and device and has not expired. */
  verify(id: string, deviceId: string, expires: number, signature: string): void {
    const want = this.mac(id, deviceId, expires);
    const got = Buffer.from(signature, 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want))
      throw JobErrors.badSignature('signature does not match');
    if (expires * 1000 < this.o.now()) throw JobErrors.badSignature('has expired');
  }

  /** Artifact ids/names the document refers to that do not exist (checked at job creation). */
  async missing(document: unknown): Promise<string[]> {
    const out: string[] = [];
    for (const ref of refs(document)) if (!(await this.store.findArtifact(ref))) out.push(ref);
    return out;
  }

  /** The job document for one execution: placeholders replaced by this device's URL and the artifact's facts. */
  async render(job: Job, e: Execution): Promise<Record<string, unknown>> {
    const text = JSON.stringify(job.document);
    if (!text.includes('${')) return job.document;
    const found = new Map<string, Artifact | undefined>();
    for (const ref of refs(job.document)) found.set(ref, await this.store.findArtifact(ref));
    const expires = job.config.presignedUrlExpiresInSec ?? DEFAULT_URL_SECONDS;
    const replace = (s: string): string =>
      s.replace(PLACEHOLDER, (whole, kind: string, arg: string) => {
        const a = found.get(refOf(kind, arg));
        if (!a) return whole;
        switch (kind) {
          case 'tsunagu:artifact-sha256':
            return a.sha256;
          case 'tsunagu:artifact-signature':
            return a.signature ?? '';
          case 'tsunagu:artifact-size':
            return String(a.size);
          default:
            return this.url(a.id, e.deviceId, expires);
        }
      });
    return walk(job.document, replace) as Record<string, unknown>;
  }
}

function refOf(kind: string, arg: string): string {
  if (kind !== 'aws:iot:s3-presigned-url') return arg;
  const path = arg.split('?')[0]!.split('/');
  return decodeURIComponent(path[path.length - 1] ?? arg);
}

function refs(doc: unknown): Set<string> {
  const out = new Set<string>();
  walk(doc, (s) => {
    for (const m of s.matchAll(PLACEHOLDER)) out.add(refOf(m[1]!, m[2]!));
    return s;
  });
  return out;
}

function walk(v: unknown, fn: (s: string) => string): unknown {
  if (typeof v === 'string') return fn(v);
  if (Array.isArray(v)) return v.map((x) => walk(x, fn));
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, fn)]));
  return v;
}

/** `Range: bytes=a-b` (one range; suffix `-n` and open `a-` too) → inclusive [start, end], or 'bad'. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'bad' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'bad';
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'bad';
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'bad';
  return { start, end };
}

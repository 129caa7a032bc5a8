/**
 * Artifact routes: upload (the raw body streamed to disk), list, delete, the signing key, and the
 * public download devices reach with a signed URL (HTTP Range for resumable downloads).
 */
import { createReadStream, existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger';
import { paging } from '../http/index.js';
import { parseRange, type Artifacts } from './artifacts.js';
import { JobErrors } from './errors.js';
import type { JobsStore } from './jobs-store.js';
import { artifact } from './schemas.js';

const tags = ['jobs'];
const artifactParams = {
  type: 'object',
  required: ['artifactId'],
  properties: { artifactId: { type: 'string', minLength: 1, maxLength: 64 } },
};
const BINARY = ['application/octet-stream', 'application/zip', 'application/gzip', 'application/x-tar'];

export function artifactRoutes(artifacts: Artifacts, store: JobsStore): (api: FastifyInstance) => void {
  return (api) => {
    // Uploads are streamed, not buffered: the parser hands the request stream to the handler.
    api.addContentTypeParser(BINARY, (_req, payload, done) => done(null, payload));
    api.post<{ Querystring: { name: string; sign?: boolean }; Body: Readable }>(
      '/jobs/artifacts',
      {
        config: { action: 'job.artifact.upload' },
        schema: {
          tags,
          summary:
            'Upload a firmware artifact (raw body, application/octet-stream); sha256 recorded, optionally ed25519-signed',
          querystring: {
            type: 'object',
            required: ['name'],
            additionalProperties: false,
            properties: {
              name: { type: 'string', minLength: 1, maxLength: 200 },
              sign: { type: 'boolean', default: false },
            },
          },
          response: { 201: artifact },
        },
      },
      async (req, reply) => {
        if (!req.body || typeof req.body.pipe !== 'function')
          throw JobErrors.invalid(
            'body',
            'send the artifact as the raw body with Content-Type: application/octet-stream',
          );
        const a = await artifacts.upload(
          req.body,
          req.query.name,
          req.headers['content-type'] ?? 'application/octet-stream',
          req.query.sign === true,
        );
        // What the audit entry shows of the upload (not the stream).
        (req as { body: unknown }).body = { name: a.name, size: a.size, sha256: a.sha256 };
        return reply.status(201).send(a);
      },
    );
    api.get<{ Querystring: { limit: number; offset: number } }>(
      '/jobs/artifacts',
      {
        schema: {
          tags,
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: paging({ max: 1000, default: 100 }),
          },
          response: { 200: { type: 'array', items: artifact } },
        },
      },
      (req) => store.listArtifacts(req.query.limit, req.query.offset),
    );
    api.get(
      '/jobs/signing-key',
      {
        schema: {
          tags,
          summary: 'The ed25519 public key that verifies artifact signatures (over the sha256 digest)',
          response: { 200: { type: 'object', properties: { publicKeyPem: { type: 'string' } } } },
        },
      },
      () => ({ publicKeyPem: artifacts.publicKey() }),
    );
    api.get<{ Params: { artifactId: string } }>(
      '/jobs/artifacts/:artifactId',
      { schema: { tags, params: artifactParams, response: { 200: artifact } } },
      async (req) => {
        const a = await store.getArtifact(req.params.artifactId);
        if (!a) throw JobErrors.artifactNotFound(req.params.artifactId);
        return a;
      },
    );
    api.delete<{ Params: { artifactId: string } }>(
      '/jobs/artifacts/:artifactId',
      {
        config: { action: 'job.artifact.delete' },
        schema: { tags, params: artifactParams, response: { 204: { type: 'null' } } },
      },
      async (req, reply) => {
        if (!(await artifacts.remove(req.params.artifactId)))
          throw JobErrors.artifactNotFound(req.params.artifactId);
        return reply.status(204).send();
      },
    );
    api.get<{
      Params: { artifactId: string };
      Querystring: { device: string; expires: number; signature: string };
    }>(
      '/jobs/artifacts/:artifactId/download',
      {
        config: { public: true },
        schema: {
          tags,
          summary: 'Download with a signed URL from a job document (no token; Range supported)',
          security: [],
          params: artifactParams,
          querystring: {
            type: 'object',
            required: ['device', 'expires', 'signature'],
            properties: {
              device: { type: 'string', minLength: 1, maxLength: 128 },
              expires: { type: 'integer', minimum: 0, maximum: 1e12 },
              signature: { type: 'string', minLength: 1, maxLength: 100 },
            },
          },
        },
      },
      async (req, reply) => {
        const { artifactId } = req.params;
        artifacts.verify(artifactId, req.query.device, req.query.expires, req.query.signature);
        const a = await store.getArtifact(artifactId);
        if (!a) throw JobErrors.artifactNotFound(artifactId);
        if (!existsSync(artifacts.path(a.id))) throw JobErrors.artifactFileMissing(a.id, artifacts.dir);
        const range = parseRange(req.headers.range, a.size);
        void reply
          .header('accept-ranges', 'bytes')
          .header('content-type', a.contentType)
          .header('x-amz-meta-sha256', a.sha256);
        void reply.header('etag', `"${a.sha256}"`);
        if (range === 'bad') {
          void reply.header('content-range', `bytes */${a.size}`);
          throw JobErrors.badRange(a.size);
        }
        if (range) {
          void reply.status(206).header('content-range', `bytes ${range.start}-${range.end}/${a.size}`);
          void reply.header('content-length', String(range.end - range.start + 1));
          return reply.send(createReadStream(artifacts.path(a.id), { start: range.start, end: range.end }));
        }
        void reply.header('content-length', String(a.size));
        return reply.send(createReadStream(artifacts.path(a.id)));
      },
    );
  };
}

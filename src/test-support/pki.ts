/**
 * A throwaway PKI for TLS tests, made with the openssl command: a CA, a server certificate for
 * localhost / 127.0.0.1, and one client certificate per name (CN = the name). EC P-256 keys keep it
 * fast. Files land in `dir` as ca.pem, server.{key,pem}, <name>.{key,pem}.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestPki {
  ca: Buffer;
  server: { key: Buffer; cert: Buffer };
  clients: Record<string, { key: Buffer; cert: Buffer }>;
}

export function makeTestPki(dir: string, clientNames: string[]): TestPki {
  const ossl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ossl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test-ca');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  for (const name of ['server', ...clientNames]) {
    ossl(
      'req',
      ...ec,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name === 'server' ? 'localhost' : name}`,
    );
    ossl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '1',
      ...(name === 'server' ? ['-extfile', 'san.ext'] : []),
    );
  }
  const read = (f: string): Buffer => readFileSync(join(dir, f));
  return {
    ca: read('ca.pem'),
    server: { key: read('server.key'), cert: read('server.pem') },
    clients: Object.fromEntries(
      clientNames.map((n) => [n, { key: read(`${n}.key`), cert: read(`${n}.pem`) }]),
    ),
  };
}

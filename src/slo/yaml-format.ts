/**
 * The platform's own YAML for SLOs (`?format=tsunagu`): one document holding a list of
 * definitions in the API's JSON shape, e.g.
 *
 *   apiVersion: tsunagu/v1
 *   kind: SLOList
 *   slos:
 *     - name: unlock-success
 *       sli: { type: command-success, command: unlock }
 *       target: 0.995
 */
import YAML from 'yaml';
import { join, parseSloDefinition, toTsunagu, type Reader } from './definition.js';
import { SloErrors } from './errors.js';
import type { SloDefinition } from './types.js';

export function exportTsunagu(defs: readonly SloDefinition[]): string {
  return new YAML.Document({ apiVersion: 'tsunagu/v1', kind: 'SLOList', slos: defs.map(toTsunagu) }).toString(
    {
      lineWidth: 0,
    },
  );
}

export function importTsunagu(text: string, r: Reader): SloDefinition[] {
  const doc = YAML.parseDocument(text);
  if (doc.errors.length > 0)
    throw SloErrors.invalid('document', `YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  const root: unknown = doc.toJS();
  if (typeof root !== 'object' || root === null || Array.isArray(root))
    throw SloErrors.invalid(
      'document',
      'must be a mapping with apiVersion: tsunagu/v1, kind: SLOList and slos (OpenSLO: ?format=openslo)',
    );
  const o = r.object(root, '', ['apiVersion', 'kind', 'slos']);
  if (o.apiVersion !== undefined && o.apiVersion !== 'tsunagu/v1')
    throw SloErrors.invalid('apiVersion', 'must be tsunagu/v1');
  if (o.kind !== undefined && o.kind !== 'SLOList') throw SloErrors.invalid('kind', 'must be SLOList');
  if (!Array.isArray(o.slos)) throw SloErrors.invalid('slos', 'must be a list of SLO definitions');
  const seen = new Set<string>();
  return o.slos.map((v: unknown, i) => {
    const def = parseSloDefinition(v, join('slos', i), r);
    if (seen.has(def.name))
      throw SloErrors.invalid(join(join('slos', i), 'name'), `duplicate SLO ${def.name}`);
    seen.add(def.name);
    return def;
  });
}

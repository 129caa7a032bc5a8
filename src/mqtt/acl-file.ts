/**
 * A static ACL file in Mosquitto's format (mosquitto.conf(5) acl_file):
 *
 *   # comment
 *   topic read sensors/#          ← rules before any `user` line apply to every client
 *   user alice
 *   topic readwrite alice/#
 *   deny write alice/secret       ← explicit deny, checked before allows
 *   pattern write devices/%c/up   ← %c = client id, %u = user name; applies to every client
 *   pattern deny read devices/%c/private
 *
 * `topic` lines apply to the preceding `user` (or to everyone before the first `user` line);
 * `pattern` lines apply to everyone. Access: read (subscribe), write (publish), readwrite.
 * `deny` lines (`deny read|write|readwrite <topic>` or `pattern deny …`) win over allows.
 * Without a matching allow rule access is denied.
 */
import { readFileSync } from 'node:fs';
import type { BrokerHooks, ClientInfo } from './api.js';
import { filterMatches } from './topics.js';

type Access = 'read' | 'write' | 'readwrite';

interface Rule {
  access: Access;
  topic: string;
  deny: boolean;
  pattern: boolean;
  /** undefined = every user. */
  user: string | undefined;
}

export class AclParseError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`ACL file line ${line}: ${message}`);
    this.name = 'AclParseError';
  }
}

function parseAccess(word: string | undefined, line: number): Access {
  if (word === 'read' || word === 'write' || word === 'readwrite') return word;
  throw new AclParseError(line, `expected read, write or readwrite, got "${word ?? ''}"`);
}

export function parseAclFile(text: string): Rule[] {
  const rules: Rule[] = [];
  let user: string | undefined;
  text.split(/\r?\n/).forEach((rawLine, idx) => {
    const line = idx + 1;
    const l = rawLine.trim();
    if (l === '' || l.startsWith('#')) return;
    const [kw, ...rest] = l.split(/\s+/);
    switch (kw) {
      case 'user':
        if (rest.length === 0) throw new AclParseError(line, 'user needs a name');
        user = rest.join(' ');
        return;
      case 'topic':
      case 'pattern':
      case 'deny': {
        let words = rest;
        let deny = kw === 'deny';
        if (words[0] === 'deny') {
          deny = true;
          words = words.slice(1);
        }
        let access: Access = 'readwrite';
        if (kw === 'deny' || words[0] === 'read' || words[0] === 'write' || words[0] === 'readwrite') {
          access = parseAccess(words[0], line);
          words = words.slice(1);
        }
        const topic = words.join(' ');
        if (topic === '') throw new AclParseError(line, `${kw} needs a topic`);
        rules.push({
          access,
          topic,
          deny,
          pattern: kw === 'pattern',
          user: kw === 'pattern' ? undefined : user,
        });
        return;
      }
      default:
        throw new AclParseError(line, `unknown keyword "${kw ?? ''}"`);
    }
  });
  return rules;
}

function expand(topic: string, client: ClientInfo): string | undefined {
  if (!topic.includes('%')) return topic;
  // A substituted value holding wildcards or `/` must not widen the rule.
  const bad = (v: string): boolean => /[+#/]/.test(v);
  if (topic.includes('%u') && (client.username === undefined || bad(client.username))) return undefined;
  if (topic.includes('%c') && bad(client.clientId)) return undefined;
  return topic.replace(/%c/g, client.clientId).replace(/%u/g, client.username ?? '');
}

/** Does the rule's filter cover `topic` (publish) or the requested `filter` (subscribe)? */
function covers(ruleFilter: string, wanted: string, isSubscribe: boolean): boolean {
  if (!isSubscribe) return filterMatches(ruleFilter, wanted);
  if (ruleFilter === wanted) return true;
  // A subscription filter is allowed when every topic it can match is matched by the rule.
  const r = ruleFilter.split('/');
  const w = wanted.split('/');
  for (let i = 0; i < r.length; i++) {
    const rp = r[i];
    if (rp === '#') return true;
    const wp = w[i];
    if (wp === undefined) return false;
    if (wp === '#') return false;
    if (rp === '+') continue;
    if (wp === '+' || rp !== wp) return false;
  }
  return r.length === w.length;
}

/** Does a deny rule hit anything the request could touch? */
function overlaps(ruleFilter: string, wanted: string, isSubscribe: boolean): boolean {
  if (!isSubscribe) return filterMatches(ruleFilter, wanted);
  const r = ruleFilter.split('/');
  const w = wanted.split('/');
  for (let i = 0; i < Math.max(r.length, w.length); i++) {
    const rp = r[i];
    const wp = w[i];
    if (rp === '#' || wp === '#') return true;
    if (rp === undefined || wp === undefined) return false;
    if (rp === '+' || wp === '+') continue;
    if (rp !== wp) return false;
  }
  return true;
}

export function aclAllows(
  rules: readonly Rule[],
  client: ClientInfo,
  want: 'read' | 'write',
  target: string,
): boolean {
  const isSubscribe = want === 'read';
  let allowed = false;
  for (const r of rules) {
    if (r.access !== 'readwrite' && r.access !== want) continue;
    if (r.user !== undefined && r.user !== client.username) continue;
    const f = expand(r.topic, client);
    if (f === undefined) continue;
    if (r.deny) {
      if (overlaps(f, target, isSubscribe)) return false;
    } else if (!allowed && covers(f, target, isSubscribe)) allowed = true;
  }
  return allowed;
}

/** authorizePublish/authorizeSubscribe from an ACL file (read once at start). */
export function createAclFileHooks(
  path: string,
): Pick<BrokerHooks, 'authorizePublish' | 'authorizeSubscribe'> {
  const rules = parseAclFile(readFileSync(path, 'utf8'));
  return {
    authorizePublish: (client, topic) => aclAllows(rules, client, 'write', topic),
    authorizeSubscribe: (client, filter) => {
      const f = filter.startsWith('$share/') ? filter.split('/').slice(2).join('/') : filter;
      return aclAllows(rules, client, 'read', f);
    },
  };
}

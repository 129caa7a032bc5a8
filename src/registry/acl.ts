/**
 * Topic ACLs. A model's template lists MQTT topic filters per action with variables:
 * `${deviceId}`, `${model}` and `${tag:NAME}` (the value of the device's tag `NAME=value` or
 * `NAME:value`). A pattern whose variable has no value, or whose value holds `/ + # $`, is dropped:
 * it can never match, so a missing tag narrows access instead of widening it.
 */
import type { BrokerHooks, ClientInfo } from '../mqtt/index.js';
import type { AclTemplate, Device } from './types.js';

export const DEFAULT_ACL: Required<AclTemplate> = {
  publish: ['devices/${deviceId}/#', '$aws/things/${deviceId}/#'],
  subscribe: ['devices/${deviceId}/#', '$aws/things/${deviceId}/#'],
};

export interface CompiledAcl {
  publish: string[][];
  subscribe: string[][];
}

const VAR = /\$\{([a-zA-Z]+)(?::([^}]+))?\}/g;
const UNSAFE_VALUE = /[/+#$\s]/;

function tagValue(tags: string[], name: string): string | undefined {
  for (const t of tags) {
    if (t.startsWith(name + '=') || t.startsWith(name + ':')) return t.slice(name.length + 1);
  }
  return undefined;
}

/** Substitute variables; undefined when a variable has no safe value. */
export function expandPattern(
  pattern: string,
  device: Pick<Device, 'id' | 'model' | 'tags'>,
): string | undefined {
  let ok = true;
  const out = pattern.replace(VAR, (_m, name: string, arg: string | undefined) => {
    let v: string | undefined;
    if (name === 'deviceId') v = device.id;
    else if (name === 'model') v = device.model ?? undefined;
    else if (name === 'tag' && arg !== undefined) v = tagValue(device.tags, arg);
    if (v === undefined || v === '' || UNSAFE_VALUE.test(v)) {
      ok = false;
      return '';
    }
    return v;
  });
  return ok ? out : undefined;
}

/** Check a template for syntax errors; returns the message for the first bad entry. */
export function checkTemplatePattern(pattern: string): string | undefined {
  if (pattern === '') return 'must not be empty';
  for (const m of pattern.matchAll(VAR)) {
    const [, name, arg] = m;
    if (name === 'deviceId' || name === 'model') continue;
    if (name === 'tag' && arg) continue;
    return `unknown variable \${${name}${arg ? ':' + arg : ''}} (use \${deviceId}, \${model}, \${tag:NAME})`;
  }
  const levels = pattern.replace(VAR, 'x').split('/');
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!;
    if (l.includes('#') && (l !== '#' || i !== levels.length - 1)) return '"#" must be a whole last level';
    if (l.includes('+') && l !== '+') return '"+" must be a whole level';
  }
  return undefined;
}

export function compileAcl(
  template: AclTemplate | undefined,
  device: Pick<Device, 'id' | 'model' | 'tags'>,
): CompiledAcl {
  const list = (patterns: string[]): string[][] =>
    patterns.flatMap((p) => {
      const e = expandPattern(p, device);
      return e === undefined ? [] : [e.split('/')];
    });
  return {
    publish: list(template?.publish ?? DEFAULT_ACL.publish),
    subscribe: list(template?.subscribe ?? DEFAULT_ACL.subscribe),
  };
}

/** Does filter `pattern` match topic name `topic`? `$`-topics only match patterns that spell the `$` level. */
export function patternMatchesTopic(pattern: string[], topic: string[]): boolean {
  if (topic[0]?.startsWith('$') && !pattern[0]?.startsWith('$')) return false; // [MQTT-4.7.2-1]
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p === '#') return true;
    if (i >= topic.length) return false;
    if (p !== '+' && p !== topic[i]) return false;
  }
  return pattern.length === topic.length;
}

/** Is every topic that `filter` can match also matched by `pattern`? (subscribe authorization) */
export function patternCoversFilter(pattern: string[], filter: string[]): boolean {
  if (filter[0]?.startsWith('$') && !pattern[0]?.startsWith('$')) return false; // [MQTT-4.7.2-1]
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p === '#') return true;
    if (i >= filter.length) return false;
    const f = filter[i]!;
    if (f === '#') return false;
    if (p === '+') continue;
    if (f === '+' || f !== p) return false;
  }
  return pattern.length === filter.length;
}

/** `$share/group/filter` → `filter` (MQTT 5 shared subscriptions are authorized on the inner filter). */
export function innerFilter(filter: string): string {
  if (!filter.startsWith('$share/')) return filter;
  const rest = filter.slice('$share/'.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? filter : rest.slice(slash + 1);
}

/** Last levels of the answers the platform publishes under `$aws/things/{thing}/shadow/...`. */
const SHADOW_ANSWERS = new Set(['accepted', 'rejected', 'delta', 'documents']);
/** …and under `$aws/things/{thing}/jobs/...` (AWS IoT jobs MQTT API). */
const JOBS_ANSWERS = new Set(['accepted', 'rejected', 'notify', 'notify-next']);

/**
 * Topics only the platform publishes, whatever an ACL template grants (the catalogue is in
 * docs/registry.md, "Reserved topics"): shadow and jobs answers for any thing, own or not, and
 * everything under `$fleet/`. Devices publish requests (`.../shadow/update`, `.../jobs/get` …);
 * who may send a request for which thing stays the ACL's decision.
 */
export function isPlatformAnswerTopic(topic: string): boolean {
  if (topic === '$fleet' || topic.startsWith('$fleet/')) return true;
  if (!topic.startsWith('$aws/things/')) return false;
  const levels = topic.split('/');
  const last = levels[levels.length - 1]!;
  if (levels[3] === 'shadow') return levels.length > 4 && SHADOW_ANSWERS.has(last);
  if (levels[3] === 'jobs') return levels.length > 4 && JOBS_ANSWERS.has(last);
  return false;
}

export function allowsPublish(acl: CompiledAcl, topic: string): boolean {
  if (isPlatformAnswerTopic(topic)) return false;
  const t = topic.split('/');
  return acl.publish.some((p) => patternMatchesTopic(p, t));
}

type PublishHooks = Partial<Pick<BrokerHooks, 'authorizePublish'>>;

/**
 * The registry's broker hooks with platform answer topics refused before anything else — also for
 * clients whose ACL is "everything" (anonymous access).
 */
export function refusePlatformAnswers<H extends PublishHooks>(hooks: H): H {
  const inner = hooks.authorizePublish;
  if (!inner) return hooks;
  return {
    ...hooks,
    authorizePublish: (client: ClientInfo, topic: string) =>
      isPlatformAnswerTopic(topic) ? false : inner(client, topic),
  };
}

export function allowsSubscribe(acl: CompiledAcl, filter: string): boolean {
  const f = innerFilter(filter).split('/');
  return acl.subscribe.some((p) => patternCoversFilter(p, f));
}

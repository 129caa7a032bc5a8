/**
 * Topic names and filters: validation against the spec and the configured limits, shared
 * subscription syntax, and a single-filter matcher (used for retained messages).
 */
export interface TopicLimits {
  maxTopicLength: number;
  maxTopicLevels: number;
}

/** A topic name a client publishes to; null when valid, otherwise why not. */
export function topicNameError(topic: string, limits: TopicLimits): 'invalid' | 'limit' | null {
  // [MQTT-4.7.3-1] at least one character; [MQTT-4.7.1-1] no wildcards in topic names.
  if (topic.length === 0) return 'invalid';
  if (topic.includes('+') || topic.includes('#') || topic.includes('\u0000')) return 'invalid';
  if (Buffer.byteLength(topic) > limits.maxTopicLength) return 'limit';
  if (countLevels(topic) > limits.maxTopicLevels) return 'limit';
  return null;
}

function countLevels(s: string): number {
  let n = 1;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 47 /* / */) n++;
  return n;
}

export interface ParsedFilter {
  /** The filter without the `$share/{group}/` prefix. */
  filter: string;
  group: string | undefined;
}

/**
 * Validate a subscription filter [MQTT-4.7.1-2/3]: `#` only last and alone in its level, `+` alone
 * in its level. Shared subscriptions `$share/{group}/{filter}` [MQTT 5 §4.8.2]. Returns null when
 * invalid.
 */
export function parseFilter(raw: string, limits: TopicLimits): ParsedFilter | null {
  if (raw.length === 0 || raw.includes('\u0000')) return null;
  if (Buffer.byteLength(raw) > limits.maxTopicLength) return null;
  let filter = raw;
  let group: string | undefined;
  if (raw.startsWith('$share/')) {
    const slash = raw.indexOf('/', 7);
    if (slash < 0) return null;
    group = raw.slice(7, slash);
    filter = raw.slice(slash + 1);
    // [MQTT-4.8.2-1/2] the share name is non-empty and holds no wildcards; a filter follows.
    if (group.length === 0 || group.includes('+') || group.includes('#') || filter.length === 0) return null;
  }
  const levels = filter.split('/');
  if (levels.length > limits.maxTopicLevels) return null;
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!;
    if (l.includes('#') && (l !== '#' || i !== levels.length - 1)) return null;
    if (l.includes('+') && l !== '+') return null;
  }
  return { filter, group };
}

/** Does `filter` (already validated, without `$share`) match `topic`? [MQTT-4.7.2-1] for `$` topics. */
export function filterMatches(filter: string, topic: string): boolean {
  if (topic.charCodeAt(0) === 36 /* $ */ && filter.charCodeAt(0) !== 36) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const part = f[i];
    if (part === '#') return true;
    if (i >= t.length) return false;
    if (part !== '+' && part !== t[i]) return false;
  }
  return f.length === t.length;
}

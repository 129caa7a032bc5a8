/**
 * Retained messages, indexed by topic level so a new subscription finds its retained messages by
 * walking only the branches its filter can match, instead of testing every retained topic.
 * Measured (`tsunagu bench retained`): with 1,000,000 retained messages, a filter matching a few of
 * them answers in microseconds where the scan took hundreds of milliseconds.
 *
 * It is a `Map<topic, Message>` (exact lookups, size, iteration for $SYS and restore) whose
 * mutations keep the level tree in step.
 */
import type { Message } from './types.js';

interface Node {
  children: Map<string, Node> | undefined;
  msg: Message | undefined;
}

const newNode = (): Node => ({ children: undefined, msg: undefined });

export class RetainedIndex extends Map<string, Message> {
  private root: Node = newNode();

  override set(topic: string, msg: Message): this {
    super.set(topic, msg);
    // Map's constructor may call set() before the field initialisers ran.
    let node = (this.root ??= newNode());
    for (const level of topic.split('/')) {
      const kids = (node.children ??= new Map());
      let next = kids.get(level);
      if (!next) {
        next = newNode();
        kids.set(level, next);
      }
      node = next;
    }
    node.msg = msg;
    return this;
  }

  override delete(topic: string): boolean {
    if (!super.delete(topic)) return false;
    const levels = topic.split('/');
    const path: Node[] = [this.root];
    for (const level of levels) path.push(path[path.length - 1]!.children!.get(level)!);
    path[path.length - 1]!.msg = undefined;
    // Prune branches left empty so deleted topics cost no memory.
    for (let i = levels.length; i > 0; i--) {
      const n = path[i]!;
      if (n.msg !== undefined || (n.children !== undefined && n.children.size > 0)) break;
      path[i - 1]!.children!.delete(levels[i - 1]!);
    }
    return true;
  }

  override clear(): void {
    super.clear();
    this.root = newNode();
  }

  /**
   * Retained messages whose topic matches `filter` (a valid filter without `$share/`). Wildcards
   * at the first level do not match topics starting with `$` [MQTT-4.7.2-1]; `a/#` matches `a`
   * itself [MQTT-4.7.1-2].
   */
  match(filter: string): Message[] {
    const out: Message[] = [];
    collect(this.root, filter.split('/'), 0, out);
    return out;
  }
}

function collect(node: Node, levels: string[], i: number, out: Message[]): void {
  if (i === levels.length) {
    if (node.msg) out.push(node.msg);
    return;
  }
  const level = levels[i]!;
  if (level === '#') {
    if (node.msg && i > 0) out.push(node.msg);
    if (node.children) for (const [name, kid] of node.children) if (i > 0 || name[0] !== '$') all(kid, out);
    return;
  }
  const kids = node.children;
  if (!kids) return;
  if (level === '+') {
    for (const [name, kid] of kids) if (i > 0 || name[0] !== '$') collect(kid, levels, i + 1, out);
    return;
  }
  const kid = kids.get(level);
  if (kid) collect(kid, levels, i + 1, out);
}

function all(node: Node, out: Message[]): void {
  if (node.msg) out.push(node.msg);
  if (node.children) for (const kid of node.children.values()) all(kid, out);
}

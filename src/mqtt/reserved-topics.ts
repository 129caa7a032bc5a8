/**
 * Topics no client may publish to, whatever its ACL says and even with anonymous access: the
 * broker's own `$SYS/` statistics (MQTT 4.7.2: `$`-topics are the server's; Mosquitto and EMQX
 * refuse client publishes there too). Checked in `handlers/authorize.ts` before the app's
 * `authorizePublish` hook, for every path a client message takes (PUBLISH, will, retained).
 *
 * The platform's answer topics (`$aws/things/+/shadow/.../accepted`, jobs notify, `$fleet/`) are
 * the registry's catalogue (`registry/acl.ts`, `isPlatformAnswerTopic`): the broker knows nothing
 * about shadows or jobs (ARCHITECTURE.md).
 */

/** True for topic names only the broker itself publishes. */
export function isBrokerReservedTopic(topic: string): boolean {
  return topic === '$SYS' || topic.startsWith('$SYS/');
}

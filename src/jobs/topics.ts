/**
 * AWS IoT reserved jobs topics (Developer Guide, "Jobs device MQTT API"):
 * `$aws/things/{thing}/jobs/get`, `…/jobs/start-next`, `…/jobs/{jobId}/get`, `…/jobs/{jobId}/update`,
 * each answered on `/accepted` or `/rejected`; `…/jobs/notify` and `…/jobs/notify-next` are events.
 */
export type JobsRequest =
  | { op: 'list'; thing: string }
  | { op: 'start-next'; thing: string }
  | { op: 'describe'; thing: string; jobId: string }
  | { op: 'update'; thing: string; jobId: string }
  | { op: 'invalid'; thing: string; topic: string };

/** `[a-zA-Z0-9_-]+`, 1–64 characters, or `$next` for describe (AWS DescribeJobExecution). */
export const JOB_ID = /^[A-Za-z0-9_-]{1,64}$/;

const ANSWERS = new Set(['accepted', 'rejected', 'notify', 'notify-next']);

/** Parse a request topic; answers and events (published by the platform) give undefined. */
export function parseJobsTopic(topic: string): JobsRequest | undefined {
  const p = topic.split('/');
  if (p[0] !== '$aws' || p[1] !== 'things' || p[3] !== 'jobs' || !p[2]) return undefined;
  const thing = p[2];
  const last = p[p.length - 1]!;
  if (p.length > 4 && ANSWERS.has(last)) return undefined;
  if (p.length === 5 && p[4] === 'get') return { op: 'list', thing };
  if (p.length === 5 && p[4] === 'start-next') return { op: 'start-next', thing };
  if (p.length === 6 && p[5] === 'get' && (JOB_ID.test(p[4]!) || p[4] === '$next'))
    return { op: 'describe', thing, jobId: p[4]! };
  if (p.length === 6 && p[5] === 'update' && JOB_ID.test(p[4]!)) return { op: 'update', thing, jobId: p[4]! };
  return { op: 'invalid', thing, topic };
}

export const jobsPrefix = (thing: string): string => `$aws/things/${thing}/jobs`;

/** The `/accepted` and `/rejected` base of a request (the request topic itself). */
export function answerBase(r: JobsRequest): string {
  switch (r.op) {
    case 'list':
      return `${jobsPrefix(r.thing)}/get`;
    case 'start-next':
      return `${jobsPrefix(r.thing)}/start-next`;
    case 'describe':
      return `${jobsPrefix(r.thing)}/${r.jobId}/get`;
    case 'update':
      return `${jobsPrefix(r.thing)}/${r.jobId}/update`;
    case 'invalid':
      return r.topic;
  }
}

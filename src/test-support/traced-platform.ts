/**
 * A whole platform with tracing on, exporting to an OTLP receiver of the test's: what the
 * module trace tests (commands, telemetry) start before their requests. Closed in reverse order.
 */
import { startTracing, type Tracing } from '../core/index.js';
import { startOtlpReceiver, type OtlpReceiver } from './otlp-receiver.js';
import { startTestPlatform, type TestPlatform } from './platform.js';

export interface TracedPlatform {
  receiver: OtlpReceiver;
  tracing: Tracing;
  p: TestPlatform;
  close(): Promise<void>;
}

export async function startTracedPlatform(nodeId: string): Promise<TracedPlatform> {
  const receiver = await startOtlpReceiver();
  const tracing = await startTracing({ endpoint: receiver.url, nodeId });
  const p = await startTestPlatform();
  return {
    receiver,
    tracing,
    p,
    async close() {
      await p.close();
      await tracing.shutdown();
      await receiver.close();
    },
  };
}

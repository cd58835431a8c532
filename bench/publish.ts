/**
 * Publish latency: `EventBusPublisher.publish` (the processor's own publisher, its SDK
 * EventBridge client signing each request) against the local recording bus, one event at a time,
 * as the processor publishes each handled event before it marks it processed. The first publish
 * of the process is reported apart: it loads the EventBridge client (imported on first use) and
 * opens the connection. What this shows is the client's own cost per call on this machine plus a
 * loopback round trip; EventBridge's own latency in a region is not in it.
 */
import { EventBusPublisher } from '../lambda/processor/event-bus.ts';
import { readQueuedEvent } from '../lambda/processor/queued-event.ts';
import { startLocalEventBus } from '../local/event-bus.ts';
import { exampleEvent } from '../testing/examples.ts';
import { sqsRecord } from '../testing/sqs.ts';
import type { PublishResult } from './lib/results.ts';
import { summarize } from './lib/stats.ts';

/** Publishes `samples` events one after another (after `warmup`); milliseconds per publish. */
export async function benchPublish(
  samples: number,
  log: (line: string) => void,
  warmup = 50,
): Promise<PublishResult> {
  const bus = await startLocalEventBus();
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = bus.endpoint;
  try {
    const publisher = new EventBusPublisher({ eventBusName: 'ofauth-bench' });
    const events = Array.from({ length: samples + warmup + 1 }, (_, index) =>
      readQueuedEvent(
        sqsRecord({ body: exampleEvent('connection.updated'), eventKey: `msg_bench_publish_${index}` }),
      ),
    );
    const timed = async (index: number) => {
      const started = performance.now();
      await publisher.publish(events[index]!);
      return performance.now() - started;
    };
    const firstMs = await timed(0);
    for (let index = 1; index <= warmup; index += 1) await timed(index);
    const measured: number[] = [];
    for (let index = warmup + 1; index < events.length; index += 1) measured.push(await timed(index));
    // Every publish reached the bus (it keeps the last 500, numbered from 1).
    const recorded = bus.events.at(-1)?.sequence ?? 0;
    if (recorded !== events.length)
      throw new Error(`the bus recorded ${recorded} of ${events.length} publishes`);
    const latencyMs = summarize(measured);
    log(
      `  first ${firstMs.toFixed(1)} ms, then p50 ${latencyMs.p50.toFixed(2)} ms, p99 ${latencyMs.p99.toFixed(2)} ms`,
    );
    return { firstMs, latencyMs, entryBytes: Buffer.byteLength(JSON.stringify(bus.events.at(-1)?.detail)) };
  } finally {
    await bus.stop();
  }
}

/**
 * The local pipeline end to end: deliveries over HTTP to the gateway, through the verifier, the
 * event record and the FIFO queue, to the processor. Each connection sends its events one after another
 * (awaiting each answer, retrying a non-2xx as the sender does), as OFAuth delivers in order per
 * connection. The processor's handler is wrapped, not replaced, to note when each message was
 * reported done; order and duplicates are checked from the same observations.
 */
import { randomBytes } from 'node:crypto';
import type { SQSEvent } from 'aws-lambda';
import { eventBody, signDelivery } from '../dev/deliveries.ts';
import { DEFAULT_POLLERS, DEFAULT_VERIFIER_ENVIRONMENTS, startLocalPipeline } from '../local/pipeline.ts';
import type { SqsBatchHandler } from '../local/poller.ts';
import { generateSvixSecret } from '../testing/signers.ts';
import type { PipelineResult } from './lib/results.ts';
import { summarize } from './lib/stats.ts';

/** One load shape. */
export interface PipelineRun {
  readonly connections: number;
  readonly eventsPerConnection: number;
  /** Each body's size. @default 1024 */
  readonly eventSizeBytes?: number;
  /**
   * One event in this many is a `connection.updated` (a registry write); the others are beta
   * `realtime.*` events, which the default handlers only log. @default 1 (every event)
   */
  readonly lifecycleEvery?: number;
}

/** One pipeline setup, measured under every load shape. */
export interface PipelineSetup {
  /** Verifier execution environments. @default the pipeline's default */
  readonly verifierEnvironments?: number;
  /** Pollers. @default the pipeline's default */
  readonly pollers?: number;
  /** Whether a batch's message groups run side by side (the processor's `concurrentGroups`). @default true */
  readonly concurrentGroups?: boolean;
}

/**
 * Watches the processor's successes: per connection, sequence numbers must arrive increasing,
 * and each event must succeed exactly once.
 */
export class PipelineObserver {
  readonly processedAt = new Map<string, number>();
  /** Distinct SQS message ids seen per event: more than one means it was enqueued more than once. */
  readonly messageIds = new Map<string, Set<string>>();
  readonly #lastSeq = new Map<string, number>();
  readonly #waiters = new Set<() => void>();
  reordered = 0;
  duplicateEffects = 0;

  /** Events that reached the processor as more than one distinct message. */
  get enqueuedMoreThanOnce(): number {
    let count = 0;
    for (const ids of this.messageIds.values()) if (ids.size > 1) count += 1;
    return count;
  }

  /** Records one record the processor reported as done. */
  record(body: string, at: number, messageId = ''): void {
    let connectionId: string | undefined;
    let seq: number;
    try {
      const parsed = JSON.parse(body);
      connectionId = parsed?.data?.connection?.id;
      seq = Number(String(parsed?.data?.connection?.userData?.name).replace('seq ', ''));
    } catch {
      return;
    }
    if (!connectionId || !Number.isFinite(seq)) return;
    const key = `${connectionId}#${seq}`;
    const ids = this.messageIds.get(key) ?? new Set<string>();
    ids.add(messageId);
    this.messageIds.set(key, ids);
    if (this.processedAt.has(key)) {
      this.duplicateEffects += 1;
      return;
    }
    this.processedAt.set(key, at);
    const last = this.#lastSeq.get(connectionId) ?? -1;
    if (seq < last) this.reordered += 1;
    else this.#lastSeq.set(connectionId, seq);
    for (const wake of this.#waiters) wake();
  }

  /** Wraps a processor handler so that its successes are recorded. */
  wrap(handler: SqsBatchHandler): SqsBatchHandler {
    return async (event: SQSEvent, context) => {
      const response = await handler(event, context);
      const failed = new Set(
        (response ?? { batchItemFailures: [] }).batchItemFailures.map((f) => f.itemIdentifier),
      );
      const at = performance.now();
      for (const record of event.Records)
        if (!failed.has(record.messageId)) this.record(record.body, at, record.messageId);
      return response;
    };
  }

  /** Resolves once `keys` have all been processed, or after `timeoutMs`. */
  async waitFor(keys: readonly string[], timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    const missing = () => keys.filter((key) => !this.processedAt.has(key)).length;
    while (Date.now() < deadline) {
      if (missing() === 0) return 0;
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, 250);
        this.#waiters.add(() => {
          clearTimeout(timer);
          wake();
        });
      });
      this.#waiters.clear();
    }
    return missing();
  }
}

/**
 * Gaps before attempts 2..5. The sender's real schedule runs from seconds to hours; these are
 * shorter but still grow past the verifier's 6-second lease (`LOCAL_VERIFIER_TIMEOUT_MS`), so that
 * a delivery whose attempt left a claim's lease on the event record (say, a write that landed
 * after its SDK timeout) is answered once the lease ends, as it would be for the real sender. Retrying five
 * times within half a second would only measure the lease.
 */
export const DELIVERY_RETRY_GAPS_MS = [250, 1_000, 3_000, 7_000] as const;

/** What one delivery's attempts got. */
export interface DeliveryAnswer {
  /** The acknowledging 2xx, or 0 when every attempt failed (the sender gave up). */
  readonly status: number;
  /** Each failed attempt's status (`0` for no answer), in order. */
  readonly failures: readonly number[];
}

/** Posts one delivery; retries a non-2xx (or a network error) up to 5 attempts, as the sender does. */
export async function deliver(
  url: string,
  body: string,
  headers: Record<string, string>,
  gaps: readonly number[] = DELIVERY_RETRY_GAPS_MS,
): Promise<DeliveryAnswer> {
  const failures: number[] = [];
  for (let attempt = 1; attempt <= gaps.length + 1; attempt += 1) {
    if (attempt > 1) await new Promise((wake) => setTimeout(wake, gaps[attempt - 2]));
    let status = 0;
    try {
      const response = await fetch(url, { method: 'POST', headers, body });
      await response.arrayBuffer();
      status = response.status;
      if (status >= 200 && status < 300) return { status, failures };
    } catch {
      // Counted like a non-2xx: the sender sees no answer and retries.
    }
    failures.push(status);
  }
  return { status: 0, failures };
}

/**
 * Sends `run.connections × run.eventsPerConnection` events to a running pipeline, each connection
 * in order, and measures them through `observer` (which must wrap the pipeline's processor).
 */
export async function driveLoad(
  url: string,
  secret: string,
  observer: PipelineObserver,
  run: PipelineRun,
  label: string,
): Promise<{ result: PipelineResult; latencies: number[] }> {
  const sentAt = new Map<string, number>();
  const answerMs: number[] = [];
  let non2xx = 0;
  let unacknowledged = 0;
  const non2xxStatuses: Record<string, number> = {};
  const keys: string[] = [];
  const tag = randomBytes(3).toString('hex');
  const before = { reordered: observer.reordered, duplicateEffects: observer.duplicateEffects };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: run.connections }, async (_, c) => {
      const connectionId = `conn_${label}_${tag}_${c}`;
      for (let seq = 0; seq < run.eventsPerConnection; seq += 1) {
        const type = seq % (run.lifecycleEvery ?? 1) === 0 ? 'connection.updated' : 'realtime.bench.updated';
        const body = eventBody({ type, connectionId, seq, sizeBytes: run.eventSizeBytes ?? 1024 });
        // Both schemes, alternating, as a receiver of both the documented and the SDK deliveries sees them.
        const delivery = signDelivery(body, { scheme: seq % 2 === 0 ? 'svix' : 'ofauth', secret });
        const key = `${connectionId}#${seq}`;
        keys.push(key);
        const t0 = performance.now();
        sentAt.set(key, t0);
        const answer = await deliver(url, delivery.body, delivery.headers);
        answerMs.push(performance.now() - t0);
        non2xx += answer.failures.length;
        if (answer.status === 0) unacknowledged += 1;
        for (const status of answer.failures)
          non2xxStatuses[String(status)] = (non2xxStatuses[String(status)] ?? 0) + 1;
      }
    }),
  );
  const lost = await observer.waitFor(keys, 60_000);
  let lastDone = 0;
  for (const key of keys) lastDone = Math.max(lastDone, observer.processedAt.get(key) ?? 0);
  const elapsedMs = lastDone - started;
  const latencies = keys
    .filter((key) => observer.processedAt.has(key))
    .map((key) => observer.processedAt.get(key)! - sentAt.get(key)!);
  return {
    latencies,
    result: {
      connections: run.connections,
      events: keys.length,
      eventsPerSecond: (keys.length - lost) / (elapsedMs / 1000),
      latencyMs: summarize(latencies),
      answerMs: summarize(answerMs),
      lost,
      reordered: observer.reordered - before.reordered,
      duplicateEffects: observer.duplicateEffects - before.duplicateEffects,
      non2xx,
      non2xxStatuses,
      unacknowledged,
    },
  };
}

/** How a setup is named in the report, e.g. `1 verifier environment, 4 pollers`. */
export function setupName(setup: PipelineSetup): string {
  const environments = setup.verifierEnvironments ?? DEFAULT_VERIFIER_ENVIRONMENTS;
  const pollers = setup.pollers ?? DEFAULT_POLLERS;
  const groups = setup.concurrentGroups === false ? ', groups one after another' : '';
  return `${environments} verifier environment${environments === 1 ? '' : 's'}, ${pollers} poller${pollers === 1 ? '' : 's'}${groups}`;
}

/**
 * Runs each load shape against each setup (a pipeline of its own on the given emulators, one
 * after another), and returns the figures plus the raw latency samples (for the chart).
 * `npm run bench` calls it once per setup, each in a fresh process, so that no setup measures
 * another's leftovers (heap, sockets, timers).
 */
export async function benchPipeline(
  endpoints: { readonly dynamodb: string; readonly sqs: string },
  setups: readonly PipelineSetup[],
  runs: readonly PipelineRun[],
  log: (line: string) => void = () => {},
): Promise<{ results: PipelineResult[]; samples: Record<string, number[]> }> {
  const results: PipelineResult[] = [];
  const samples: Record<string, number[]> = {};
  for (const [setupIndex, setup] of setups.entries()) {
    const measured = await benchSetup(endpoints, setup, runs, `s${setupIndex}`, log);
    results.push(...measured.results);
    Object.assign(samples, measured.samples);
  }
  return { results, samples };
}

async function benchSetup(
  endpoints: { readonly dynamodb: string; readonly sqs: string },
  setup: PipelineSetup,
  runs: readonly PipelineRun[],
  label: string,
  log: (line: string) => void,
): Promise<{ results: PipelineResult[]; samples: Record<string, number[]> }> {
  const secret = generateSvixSecret();
  const observer = new PipelineObserver();
  const name = setupName(setup);
  const pipeline = await startLocalPipeline({
    port: 0,
    secrets: [secret],
    endpoints,
    prefix: `bench-${randomBytes(4).toString('hex')}`,
    ...(setup.verifierEnvironments !== undefined && { verifierEnvironments: setup.verifierEnvironments }),
    ...(setup.pollers !== undefined && { pollers: setup.pollers }),
    processor: (module, defaults) =>
      observer.wrap(
        module.createProcessorHandler({ ...defaults, concurrentGroups: setup.concurrentGroups ?? true }),
      ),
  });
  const results: PipelineResult[] = [];
  const samples: Record<string, number[]> = {};
  try {
    // A few deliveries first, so that the first run does not pay for cold modules and connections.
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => {
        const body = eventBody({ connectionId: `conn_warmup_${label}_${i}`, seq: 0 });
        const delivery = signDelivery(body, { scheme: 'svix', secret });
        return deliver(pipeline.url, delivery.body, delivery.headers);
      }),
    );
    await observer.waitFor(
      Array.from({ length: 5 }, (_, i) => `conn_warmup_${label}_${i}#0`),
      15_000,
    );
    for (const [runIndex, run] of runs.entries()) {
      const { result, latencies } = await driveLoad(
        pipeline.url,
        secret,
        observer,
        run,
        `${label}r${runIndex}`,
      );
      const connections = `${run.connections} connection${run.connections === 1 ? '' : 's'}`;
      samples[`${connections}, ${name}`] = latencies;
      results.push({ setup: name, ...result });
      log(
        `  pipeline (${name}): ${connections}: ${result.events} events, ${Math.round(result.eventsPerSecond)}/s, p99 ${Math.round(result.latencyMs.p99)} ms, lost ${result.lost}`,
      );
    }
  } finally {
    await pipeline.stop();
  }
  return { results, samples };
}

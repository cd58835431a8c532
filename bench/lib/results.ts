/**
 * The shape of `bench/results/latest.json`: everything one `npm run bench` measured, with the
 * machine it ran on. The Markdown report is rendered from this alone.
 */
import type { BundleComparison } from '../bundles.ts';
import type { CountedCosts } from './prices.ts';
import type { Summary } from './stats.ts';

/** One signature-verification task: an implementation, a scheme, a body size. */
export interface SignatureRow {
  readonly scheme: 'ofauth' | 'svix';
  readonly bodyBytes: number;
  /** `ours`, `ours + JSON.parse`, `svix Webhook.verify`, `stripe constructEvent`, `floor: HMAC + timingSafeEqual`. */
  readonly implementation: string;
  /** Microseconds per verification. */
  readonly meanUs: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly opsPerSecond: number;
  readonly samples: number;
}

/** Per-event cost of the verifier handler run in-process. */
export interface HandlerStubbedResult {
  /** What the AWS clients were replaced with. */
  readonly stub: string;
  readonly newEvent: {
    readonly meanUs: number;
    readonly p50Us: number;
    readonly p99Us: number;
    readonly samples: number;
  };
  readonly duplicate?: {
    readonly meanUs: number;
    readonly p50Us: number;
    readonly p99Us: number;
    readonly samples: number;
  };
  readonly rejected?: {
    readonly meanUs: number;
    readonly p50Us: number;
    readonly p99Us: number;
    readonly samples: number;
  };
}

/** The verifier handler against the emulators, `concurrency` invocations in flight. */
export interface HandlerEmulatorResult {
  readonly concurrency: number;
  readonly events: number;
  readonly eventsPerSecond: number;
  /** Milliseconds per invocation. */
  readonly latencyMs: Summary;
  readonly statusCounts: Record<string, number>;
}

/** One end-to-end run of the local pipeline. */
export interface PipelineResult {
  /** The pipeline's setup, e.g. `1 verifier environment, 4 pollers`. */
  readonly setup?: string;
  readonly connections: number;
  readonly events: number;
  readonly eventsPerSecond: number;
  /** Receive (HTTP request sent) → processed (the processor's batch answered it as a success), ms. */
  readonly latencyMs: Summary;
  /** HTTP request → answer, ms. */
  readonly answerMs: Summary;
  readonly lost: number;
  readonly reordered: number;
  readonly duplicateEffects: number;
  readonly non2xx: number;
  /** Non-2xx attempts by status (`0`: no answer). */
  readonly non2xxStatuses?: Readonly<Record<string, number>>;
  /** Deliveries that got no 2xx in five attempts: the sender gave up on them. */
  readonly unacknowledged?: number;
}

/** `EventBusPublisher.publish` against the local recording bus, one event at a time. */
export interface PublishResult {
  /** The first publish of the process: the EventBridge client's import, construction and connection. */
  readonly firstMs: number;
  /** Milliseconds per publish after the warm-up. */
  readonly latencyMs: Summary;
  /** Bytes of one published `detail` (a `connection.updated`). */
  readonly entryBytes: number;
}

/** Everything one run measured. */
export interface BenchResults {
  readonly generatedAt: string;
  readonly command: string;
  readonly machine: {
    readonly node: string;
    readonly platform: string;
    readonly arch: string;
    readonly cpus: number;
    readonly cpuModel: string;
  };
  readonly quick: boolean;
  readonly signatures?: readonly SignatureRow[];
  readonly handlerStubbed?: HandlerStubbedResult;
  readonly handlerEmulators?: readonly HandlerEmulatorResult[];
  readonly bundles?: readonly BundleComparison[];
  readonly pipeline?: readonly PipelineResult[];
  /** Where the pipeline's CPU goes, and the ceiling on this machine. */
  readonly costs?: CostResults;
  /** Publishing one handled event to the (local) event bus. */
  readonly publish?: PublishResult;
  /** Parts that could not run, with the reason; the report shows them instead of numbers. */
  readonly skipped: ReadonlyArray<{ readonly part: string; readonly reason: string }>;
  /** How long each part took, seconds. */
  readonly durations: Record<string, number>;
}

/** What `npm run bench -- --only costs` measures. */
export interface CostResults {
  readonly pipeline: {
    readonly connections: number;
    readonly events: number;
    readonly eventsPerSecond: number;
    /** CPU milliseconds per event, by process. */
    readonly cpuMsPerEvent: { readonly node: number; readonly java: number; readonly fauxqs: number };
    /** AWS calls per event, by operation. */
    readonly callsPerEvent: Readonly<Record<string, number>>;
    /** Messages per processor invocation on this run. */
    readonly messagesPerBatch: number;
  };
  /** What AWS would bill per event, counted on the same run (priced by `prices.ts`). */
  readonly counted: CountedCosts;
  readonly dynamodbLocal: ReadonlyArray<{
    readonly operation: string;
    readonly javaMsPerCall: number;
    readonly callsPerSecond: number;
  }>;
  readonly sdk: ReadonlyArray<{ readonly call: string; readonly nodeMsPerCall: number }>;
  readonly cores: number;
  /** cores × 1000 / (CPU ms per event, all processes). */
  readonly ceilingEventsPerSecond: number;
}

/**
 * The sender's retry policy, on a compressed clock. OFAuth retries a delivery that got no 2xx
 * within 10 seconds, up to 5 attempts with exponential backoff; Svix (the beta events) documents
 * its schedule: immediately, 5 s, 5 min, 30 min, 2 h. Real minutes cannot pass in CI, so time is
 * scaled: every duration that matters to the receiver (the verifier's timeout, which is its
 * in-progress lease, the SDK timeouts, the gaps between attempts) shrinks by the same factor, and
 * gaps longer than the lease are capped (past the lease, waiting longer changes nothing the
 * receiver can see locally; the one thing it does change, SQS's 5-minute deduplication window,
 * is discussed in the report).
 */

/** Real milliseconds per virtual second. */
export const MS_PER_VIRTUAL_SECOND = 150;
/** The verifier's timeout in the stack (6 s), compressed: the gateway's timeout and the ledger lease. */
export const VERIFIER_TIMEOUT_MS = 6 * MS_PER_VIRTUAL_SECOND;
/** The sender's 10-second answer budget, compressed. */
export const SENDER_BUDGET_MS = 10 * MS_PER_VIRTUAL_SECOND;
/** The SDK client limits of `aws-clients.ts` (300 ms connect, 1000 ms request), compressed. */
export const CLIENT_LIMITS = {
  connectionTimeoutMs: Math.round(0.3 * MS_PER_VIRTUAL_SECOND),
  requestTimeoutMs: Math.round(1 * MS_PER_VIRTUAL_SECOND),
  maxAttempts: 2,
} as const;
/** Gaps before attempts 2..5 (Svix's 5 s, 5 min, 30 min, 2 h), compressed, capped past the lease. */
export const RETRY_GAPS_MS = [5, 300, 1800, 7200].map((seconds) =>
  Math.min(seconds * MS_PER_VIRTUAL_SECOND, VERIFIER_TIMEOUT_MS + 600),
);
/** Attempts per delivery. */
export const MAX_ATTEMPTS = 5;

/** One attempt's answer: an HTTP status, or 0 when no answer came (connection error). */
export interface Attempt {
  readonly status: number;
  readonly body: string;
  /** How long the answer took. */
  readonly elapsedMs: number;
}

/** What the sender saw for one delivery. */
export interface DeliveryOutcome {
  readonly attempts: readonly Attempt[];
  /** Whether any attempt got a 2xx (the sender stops retrying). */
  readonly acknowledged: boolean;
}

/** Where a delivery goes: a URL, or a function that hands it to a handler in-process. */
export type DeliveryTarget =
  | string
  | ((delivery: { readonly body: string; readonly headers: Record<string, string> }) => Promise<{
      readonly status: number;
      readonly body: string;
    }>);

/** Posts a delivery with the sender's retry policy. */
export async function sendWithRetries(
  target: DeliveryTarget,
  /** The delivery, or a function that signs it afresh for each attempt (OFAuth re-signs retries). */
  delivery:
    | { readonly body: string; readonly headers: Record<string, string> }
    | (() => { readonly body: string; readonly headers: Record<string, string> }),
  options: { readonly gaps?: readonly number[]; readonly attempts?: number } = {},
): Promise<DeliveryOutcome> {
  const gaps = options.gaps ?? RETRY_GAPS_MS;
  const attempts: Attempt[] = [];
  for (let attempt = 0; attempt < (options.attempts ?? MAX_ATTEMPTS); attempt += 1) {
    if (attempt > 0) await new Promise((wake) => setTimeout(wake, gaps[attempt - 1] ?? gaps.at(-1)));
    let answer: Attempt;
    const signed = typeof delivery === 'function' ? delivery() : delivery;
    const started = performance.now();
    try {
      const response =
        typeof target === 'string'
          ? await fetch(target, { method: 'POST', headers: signed.headers, body: signed.body }).then(
              async (r) => ({
                status: r.status,
                body: await r.text(),
              }),
            )
          : await target(signed);
      answer = { ...response, elapsedMs: performance.now() - started };
    } catch (error) {
      answer = { status: 0, body: String(error), elapsedMs: performance.now() - started };
    }
    attempts.push(answer);
    if (answer.status >= 200 && answer.status < 300) return { attempts, acknowledged: true };
  }
  return { attempts, acknowledged: false };
}

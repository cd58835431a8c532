import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { VerifierHandler } from '../../lambda/verifier/create-handler.ts';
import { lambdaContext, ofAuthDelivery } from '../support/signing.ts';
import { drainQueue, queueDepth, sleep, startVerifierRig, type VerifierRig } from './verifier-harness.ts';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';

/** OFAuth's retry policy: up to 5 attempts; the waits are scaled down, but longer than a lease. */
const ATTEMPTS = 5;
/** The invocation's remaining time (the claim's lease is at most 5 s of it) when a case needs no crash. */
const ROOMY_MS = 5_000;
/** A short invocation for crash cases: it dies at its timeout, and its lease runs out soon after. */
const CRASH_LEASE_MS = 800;
const BACKOFF_MS = CRASH_LEASE_MS + 200;

interface Attempt {
  /** The status answered, or 0 when no answer came (the invocation died). */
  readonly status: number;
  /** Messages on the queue right after the answer. */
  readonly depth: number;
}

let rig: VerifierRig;
let caseNo = 0;

beforeAll(async () => {
  rig = await startVerifierRig();
});

afterAll(async () => {
  await rig.stop();
});

afterEach(async () => {
  rig.probe.faults.length = 0;
  await drainQueue(rig.sqs, rig.queueUrl);
});

/** A fresh event per case, re-signed (new timestamp) on every attempt as OFAuth does. */
function nextDelivery(): () => APIGatewayProxyEventV2 {
  caseNo += 1;
  const body = JSON.stringify({
    type: 'connection.updated',
    data: { connection: { id: `conn_fault_${caseNo}` } },
  });
  let attempt = 0;
  return () => {
    attempt += 1;
    return ofAuthDelivery({ body, timestamp: Math.floor(Date.now() / 1000) + attempt });
  };
}

/** Replays the sender: up to 5 attempts, stopping at the first 2xx. */
async function sendWithRetries(
  handler: VerifierHandler,
  delivery: () => APIGatewayProxyEventV2,
  remainingMs = ROOMY_MS,
): Promise<Attempt[]> {
  const attempts: Attempt[] = [];
  for (let i = 0; i < ATTEMPTS; i++) {
    // A crashed attempt never answers: give up on it a second after its timeout. The timer is
    // cleared once the race is decided, so that no wait outlives the test and holds jest open.
    let giveUp: NodeJS.Timeout | undefined;
    const answer = await Promise.race([
      handler(delivery(), lambdaContext({ remainingMs })).then((r) => r.statusCode ?? 0),
      new Promise<number>((resolve) => {
        giveUp = setTimeout(() => resolve(0), remainingMs + 1000);
      }),
    ]).finally(() => clearTimeout(giveUp));
    attempts.push({ status: answer, depth: await queueDepth(rig.sqs, rig.queueUrl) });
    if (answer >= 200 && answer < 300) break;
    await sleep(BACKOFF_MS);
  }
  return attempts;
}

/** Every case must end with one message, a 2xx, and no 2xx before the event was on the queue. */
async function expectHandedOnOnce(attempts: Attempt[]): Promise<void> {
  const accepted = attempts.filter((a) => a.status >= 200 && a.status < 300);
  expect(accepted.length).toBeGreaterThan(0);
  for (const attempt of accepted) expect(attempt.depth).toBe(1);
  expect(attempts.every((a) => a.status < 500 || a.depth <= 1)).toBe(true);
  expect(await drainQueue(rig.sqs, rig.queueUrl)).toHaveLength(1);
}

describe('fault injection: each failure recovers on the sender retry with the event enqueued once', () => {
  it('fails with 503 while Secrets Manager is down on a cold start, then hands on', async () => {
    // GIVEN a cold instance and a Secrets Manager that fails both SDK attempts of the first call
    const handler = rig.coldStart();
    rig.secretsManager.failNext(2);
    // WHEN the sender retries
    const attempts = await sendWithRetries(handler, nextDelivery());
    // THEN the first attempt is a 503, the second hands on
    expect(attempts.map((a) => a.status)).toEqual([503, 202]);
    await expectHandedOnOnce(attempts);
  });

  it('fails with 503 when the claim of the event record fails, then hands on', async () => {
    rig.probe.inject('UpdateItemCommand');
    const attempts = await sendWithRetries(rig.handler, nextDelivery());
    expect(attempts.map((a) => a.status)).toEqual([503, 202]);
    await expectHandedOnOnce(attempts);
  });

  it('fails with 503 when the SQS send fails, releases the claim, then hands on', async () => {
    rig.probe.inject('SendMessageCommand');
    const attempts = await sendWithRetries(rig.handler, nextDelivery());
    expect(attempts.map((a) => a.status)).toEqual([503, 202]);
    await expectHandedOnOnce(attempts);
  });

  it('fails with 503 when the send and the release of the claim both fail, then hands on after the lease', async () => {
    rig.probe.inject('SendMessageCommand');
    // the claim goes through; the release after the failed send fails
    rig.probe.inject('UpdateItemCommand', 'fail', 1, 1);
    const attempts = await sendWithRetries(rig.handler, nextDelivery(), CRASH_LEASE_MS);
    expect(attempts[0]?.status).toBe(503);
    expect(attempts.at(-1)?.status).toBe(202);
    await expectHandedOnOnce(attempts);
  });

  it('hands on again a retry that finds the lease run out before the event was processed, and the queue keeps one copy', async () => {
    // GIVEN an event handed on (202) whose claim's lease, 1.5 s, then runs out; no processor runs
    const delivery = nextDelivery();
    const attempts = await sendWithRetries(rig.handler, delivery, 1_500);
    expect(attempts.map((a) => a.status)).toEqual([202]);
    await sleep(1_600);
    // WHEN the sender delivers it again (it never saw the answer)
    const again = await rig.handler(delivery(), lambdaContext({ remainingMs: ROOMY_MS }));
    // THEN it is claimed anew and sent again, and SQS deduplicates the copy
    expect(again.statusCode).toBe(202);
    await expectHandedOnOnce(attempts);
  });

  it('recovers from a crash after the SQS send, before the invocation answered', async () => {
    // GIVEN the send succeeds but the invocation never gets further (it dies at its timeout)
    rig.probe.inject('SendMessageCommand', 'hang-after');
    // WHEN the sender retries after the lease has run out
    const attempts = await sendWithRetries(rig.handler, nextDelivery(), CRASH_LEASE_MS);
    // THEN the first attempt got no 2xx, the retry takes over, re-sends (deduplicated) and answers 202
    expect(attempts[0]?.status).not.toBe(202);
    expect(attempts[0]?.status).toBeGreaterThanOrEqual(500);
    expect(attempts.at(-1)?.status).toBe(202);
    await expectHandedOnOnce(attempts);
  });

  it('recovers from a crash between the claim and the SQS send', async () => {
    rig.probe.inject('UpdateItemCommand', 'hang-after');
    const attempts = await sendWithRetries(rig.handler, nextDelivery(), CRASH_LEASE_MS);
    expect(attempts[0]?.status).toBeGreaterThanOrEqual(500);
    expect(attempts[0]?.depth).toBe(0);
    expect(attempts.at(-1)?.status).toBe(202);
    await expectHandedOnOnce(attempts);
  });

  it('answers a retryable 409, never a 2xx, while a stuck attempt still holds the lease', async () => {
    // GIVEN an attempt stuck before the send (it will die at its 1.5 s timeout)
    rig.probe.inject('SendMessageCommand', 'hang-before');
    const delivery = nextDelivery();
    const stuck = rig.handler(delivery(), lambdaContext({ remainingMs: 1_500 }));
    await sleep(300);
    // WHEN a retry comes in while it holds the lease
    const early = await rig.handler(delivery(), lambdaContext({ remainingMs: ROOMY_MS }));
    // THEN the retry is told to come back once the stuck attempt's lease (its 1.5 s) has run out,
    // and nothing is on the queue
    expect(early.statusCode).toBe(409);
    expect(Number(early.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(early.headers?.['retry-after'])).toBeLessThanOrEqual(2);
    expect(await queueDepth(rig.sqs, rig.queueUrl)).toBe(0);
    // AND the stuck attempt answers 5xx at its timeout, and the sender's next retries hand on
    expect((await stuck).statusCode).toBe(503);
    await sleep(100);
    const attempts = await sendWithRetries(rig.handler, delivery);
    expect(attempts.at(-1)?.status).toBe(202);
    await expectHandedOnOnce(attempts);
  });
});

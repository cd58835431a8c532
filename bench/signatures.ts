/**
 * Signature verification per event, side by side in one run: our `verifySignature` against the
 * `svix` library's `Webhook.verify` (Svix scheme) and the `stripe` library's
 * `webhooks.constructEvent` (the `t=…,v1=…` layout `OFAuth-Signature` shares with Stripe), on the
 * same bodies and headers, and against the floor: one HMAC-SHA256 from `node:crypto` plus a
 * `timingSafeEqual`, with nothing else (the key prepared once as a `KeyObject`).
 */
import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import Stripe from 'stripe';
import { Webhook } from 'svix';
import { Bench } from 'tinybench';
import { eventBody } from '../dev/deliveries.ts';
import { verifySignature } from '../lambda/verifier/signature.ts';
import { generateSvixSecret, signOfAuth, signSvix } from '../testing/signers.ts';
import type { SignatureRow } from './lib/results.ts';

/** The body sizes measured. */
export const BODY_SIZES = [256, 1024, 64 * 1024] as const;

/** Runs every task; `timeMs` is tinybench's time budget per task. */
export async function benchSignatures(
  timeMs: number,
  log: (line: string) => void = () => {},
): Promise<SignatureRow[]> {
  // One whsec_ secret for both schemes, as the local pipeline and the OFAuth SDKs use.
  const secret = generateSvixSecret();
  const verifiers = referenceVerifiers(secret);
  const sink = { value: 0 };
  const rows: SignatureRow[] = [];
  for (const size of BODY_SIZES) {
    const bench = new Bench({
      name: `signatures ${size} B`,
      time: timeMs,
      warmupTime: Math.min(100, timeMs),
    });
    addSignatureTasks(bench, signedDelivery(secret, size), verifiers, sink);
    await bench.run();
    rows.push(...signatureRows(bench, size));
    log(`  signatures: ${size} B done`);
  }
  if (sink.value === 0) throw new Error('no verification ran');
  return rows;
}

/** The floor's keys and the reference libraries, prepared once for every size. */
function referenceVerifiers(secret: string) {
  return {
    // The floor's keys are KeyObjects made once: on Node 24 `createHmac` with a raw Buffer key
    // costs ~10 µs more per call than with a KeyObject (or a string), which would flatter everyone else.
    ofauthKey: createSecretKey(Buffer.from(secret, 'utf8')),
    svixKey: createSecretKey(Buffer.from(secret.slice('whsec_'.length), 'base64')),
    stripe: new Stripe('sk_test_bench_not_used_for_requests'),
    svix: new Webhook(secret),
  };
}

/** One delivery of `size` bytes, signed in both schemes. */
function signedDelivery(secret: string, size: number) {
  const now = Math.floor(Date.now() / 1000);
  const body = eventBody({ sizeBytes: size, seq: size });
  const id = `msg_bench_${size}`;
  const ofauthHeader = signOfAuth({ secret, body, timestamp: now });
  const svixHeader = signSvix({ secret, id, body, timestamp: now });
  return {
    size,
    secret,
    now,
    body,
    id,
    ofauthHeader,
    ofauthHeaders: { 'ofauth-signature': ofauthHeader },
    svixHeaders: { 'svix-id': id, 'svix-timestamp': String(now), 'svix-signature': svixHeader },
    ofauthHex: ofauthHeader.slice(ofauthHeader.indexOf('v1=') + 3),
    svixB64: svixHeader.slice(3),
  };
}

/** Per scheme: the floor, ours, ours with the JSON parse the libraries include, and the library. */
function addSignatureTasks(
  bench: Bench,
  delivery: ReturnType<typeof signedDelivery>,
  verifiers: ReturnType<typeof referenceVerifiers>,
  sink: { value: number },
): void {
  const { size, secret, now, body, id, ofauthHeader, ofauthHeaders, svixHeaders, ofauthHex, svixB64 } =
    delivery;
  const { ofauthKey, svixKey, stripe, svix } = verifiers;
  const secrets = [secret];
  const ours = (headers: Record<string, string>) => {
    const result = verifySignature(Buffer.from(body, 'utf8'), headers, secrets, { now: Date.now() });
    if (!result.ok) throw new Error(`our verifier rejected a genuine ${size} B delivery: ${result.code}`);
    return result;
  };
  // What each task computes goes into the sink, so that no engine can drop the work.
  const keep = (value: number) => {
    sink.value += value;
  };
  const sync = { async: false } as const;
  bench
    .add(
      'ofauth|floor: HMAC + timingSafeEqual',
      () => {
        const expected = createHmac('sha256', ofauthKey).update(`${now}.${body}`).digest();
        if (!timingSafeEqual(expected, Buffer.from(ofauthHex, 'hex'))) throw new Error('floor mismatch');
      },
      sync,
    )
    .add('ofauth|ours', () => keep(ours(ofauthHeaders).timestamp), sync)
    .add(
      'ofauth|ours + JSON.parse',
      () => keep(ours(ofauthHeaders).timestamp + (JSON.parse(body) ? 1 : 0)),
      sync,
    )
    .add(
      'ofauth|stripe constructEvent',
      () => keep(stripe.webhooks.constructEvent(body, ofauthHeader, secret) ? 1 : 0),
      sync,
    )
    .add(
      'svix|floor: HMAC + timingSafeEqual',
      () => {
        const expected = createHmac('sha256', svixKey).update(`${id}.${now}.${body}`).digest();
        if (!timingSafeEqual(expected, Buffer.from(svixB64, 'base64'))) throw new Error('floor mismatch');
      },
      sync,
    )
    .add('svix|ours', () => keep(ours(svixHeaders).timestamp), sync)
    .add('svix|ours + JSON.parse', () => keep(ours(svixHeaders).timestamp + (JSON.parse(body) ? 1 : 0)), sync)
    .add('svix|svix Webhook.verify', () => keep(svix.verify(body, svixHeaders) ? 1 : 0), sync);
}

/** The rows of one size's run; a task that did not complete fails the bench. */
function signatureRows(bench: Bench, size: number): SignatureRow[] {
  return bench.tasks.map((task) => {
    const result = task.result;
    if (result.state !== 'completed' && result.state !== 'aborted-with-statistics') {
      throw new Error(`signature task ${task.name} (${size} B) did not complete: ${result.state}`);
    }
    const [scheme, implementation] = task.name.split('|') as ['ofauth' | 'svix', string];
    return {
      scheme,
      bodyBytes: size,
      implementation,
      meanUs: result.latency.mean * 1000,
      p50Us: result.latency.p50 * 1000,
      p99Us: result.latency.p99 * 1000,
      opsPerSecond: result.throughput.mean,
      samples: result.latency.samplesCount,
    };
  });
}

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
  // The floor's keys are KeyObjects made once: on Node 24 `createHmac` with a raw Buffer key costs
  // ~10 µs more per call than with a KeyObject (or a string), which would flatter everyone else.
  const ofauthKey = createSecretKey(Buffer.from(secret, 'utf8'));
  const svixKey = createSecretKey(Buffer.from(secret.slice('whsec_'.length), 'base64'));
  const stripe = new Stripe('sk_test_bench_not_used_for_requests');
  const svix = new Webhook(secret);
  const rows: SignatureRow[] = [];
  let sink = 0;

  for (const size of BODY_SIZES) {
    const now = Math.floor(Date.now() / 1000);
    const body = eventBody({ sizeBytes: size, seq: size });
    const id = `msg_bench_${size}`;
    const ofauthHeader = signOfAuth({ secret, body, timestamp: now });
    const svixHeader = signSvix({ secret, id, body, timestamp: now });
    const ofauthHeaders = { 'ofauth-signature': ofauthHeader };
    const svixHeaders = { 'svix-id': id, 'svix-timestamp': String(now), 'svix-signature': svixHeader };
    const ofauthHex = ofauthHeader.slice(ofauthHeader.indexOf('v1=') + 3);
    const svixB64 = svixHeader.slice(3);
    const secrets = [secret];

    const ours = (headers: Record<string, string>) => {
      const result = verifySignature(Buffer.from(body, 'utf8'), headers, secrets, { now: Date.now() });
      if (!result.ok) throw new Error(`our verifier rejected a genuine ${size} B delivery: ${result.code}`);
      return result;
    };
    const bench = new Bench({
      name: `signatures ${size} B`,
      time: timeMs,
      warmupTime: Math.min(100, timeMs),
    });
    bench
      .add(
        'ofauth|floor: HMAC + timingSafeEqual',
        () => {
          const expected = createHmac('sha256', ofauthKey).update(`${now}.${body}`).digest();
          if (!timingSafeEqual(expected, Buffer.from(ofauthHex, 'hex'))) throw new Error('floor mismatch');
        },
        { async: false },
      )
      .add(
        'ofauth|ours',
        () => {
          sink += ours(ofauthHeaders).timestamp;
        },
        { async: false },
      )
      .add(
        'ofauth|ours + JSON.parse',
        () => {
          sink += ours(ofauthHeaders).timestamp + (JSON.parse(body) ? 1 : 0);
        },
        { async: false },
      )
      .add(
        'ofauth|stripe constructEvent',
        () => {
          sink += stripe.webhooks.constructEvent(body, ofauthHeader, secret) ? 1 : 0;
        },
        { async: false },
      )
      .add(
        'svix|floor: HMAC + timingSafeEqual',
        () => {
          const expected = createHmac('sha256', svixKey).update(`${id}.${now}.${body}`).digest();
          if (!timingSafeEqual(expected, Buffer.from(svixB64, 'base64'))) throw new Error('floor mismatch');
        },
        { async: false },
      )
      .add(
        'svix|ours',
        () => {
          sink += ours(svixHeaders).timestamp;
        },
        { async: false },
      )
      .add(
        'svix|ours + JSON.parse',
        () => {
          sink += ours(svixHeaders).timestamp + (JSON.parse(body) ? 1 : 0);
        },
        { async: false },
      )
      .add(
        'svix|svix Webhook.verify',
        () => {
          sink += svix.verify(body, svixHeaders) ? 1 : 0;
        },
        { async: false },
      );
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result;
      if (result.state !== 'completed' && result.state !== 'aborted-with-statistics') {
        throw new Error(`signature task ${task.name} (${size} B) did not complete: ${result.state}`);
      }
      const [scheme, implementation] = task.name.split('|') as ['ofauth' | 'svix', string];
      rows.push({
        scheme,
        bodyBytes: size,
        implementation,
        meanUs: result.latency.mean * 1000,
        p50Us: result.latency.p50 * 1000,
        p99Us: result.latency.p99 * 1000,
        opsPerSecond: result.throughput.mean,
        samples: result.latency.samplesCount,
      });
    }
    log(`  signatures: ${size} B done`);
  }
  if (sink === 0) throw new Error('no verification ran');
  return rows;
}

/**
 * The suites' instruments must be able to see what they look for: a leak scanner that finds no
 * leak because it cannot, or a generator that never makes some category, would prove nothing.
 */
import { createHmac } from 'node:crypto';
import { newOfauthSecret, newSvixSecret } from '../../bench/lib/deliveries.ts';
import { badRequests, unparseableSignedRequests } from './support/bad-input.ts';
import { captureLogs, findSecretLeaks, secretForms } from './support/log-capture.ts';

describe('reliability instruments', () => {
  it('finds a secret in every encoding a log line could carry it', () => {
    // GIVEN a Svix secret and an OFAuth secret string
    const svix = newSvixSecret();
    const ofauth = newOfauthSecret();
    const key = Buffer.from(svix.slice('whsec_'.length), 'base64');
    const lines = [
      `{"secret":"${svix}"}`,
      `{"key":"${key.toString('hex')}"}`,
      `{"key":"${key.toString('base64url')}"}`,
      `{"value":"${Buffer.from(ofauth).toString('base64')}"}`,
      '{"message":"nothing to see"}',
    ];
    // WHEN the lines are scanned
    const leaks = findSecretLeaks(lines, [svix, ofauth]);
    // THEN each of the first four lines is reported, the last is not
    expect([...new Set(leaks.map((leak) => leak.lineIndex))].sort()).toEqual([0, 1, 2, 3]);
    expect(secretForms(svix)).toContain(key.toString('hex'));
  });

  it('captures what Powertools-style loggers write to stdout and stderr', () => {
    // GIVEN a capture
    const capture = captureLogs();
    // WHEN lines are written in pieces, to both streams
    process.stdout.write('{"level":"INFO",');
    process.stdout.write('"message":"one"}\n');
    process.stderr.write('{"level":"WARN","message":"two"}\n');
    capture.stop();
    // THEN both complete lines are kept
    expect(capture.lines).toEqual(['{"level":"INFO","message":"one"}', '{"level":"WARN","message":"two"}']);
  });

  it('generates every category of bad request, reproducibly, and no genuine delivery among them', () => {
    // GIVEN the generator's inputs
    const secrets = {
      svix: newSvixSecret(),
      ofauth: newOfauthSecret(),
      wrongSvix: newSvixSecret(),
      wrongOfauth: newOfauthSecret(),
    };
    const options = {
      secrets,
      maxBodyBytes: 4096,
      toleranceSeconds: 300,
      nowSeconds: 1_800_000_000,
      count: 2000,
    };
    // WHEN it draws twice with the same seed
    const first = badRequests(options);
    const second = badRequests(options);
    // THEN the draws are equal and cover every category
    expect(second.map((r) => r.category)).toEqual(first.map((r) => r.category));
    expect(new Set(first.map((r) => r.category)).size).toBe(12);
    // AND no plain OFAuth-signed request carries the genuine signature of its own body
    const genuine = first.filter(({ request }) => {
      const headers = request.headers as Record<string, string> | undefined;
      const header = headers && !Array.isArray(request.headers) ? headers['ofauth-signature'] : undefined;
      if (!header || typeof request.body !== 'string' || request.forwardedBody !== undefined) return false;
      const t = /t=(\d+)/.exec(header)?.[1];
      return [secrets.ofauth, secrets.svix].some((secret) =>
        header.includes(createHmac('sha256', secret).update(`${t}.${request.body}`).digest('hex')),
      );
    });
    expect(
      genuine.filter(({ category }) => !['stale_or_future_signature', 'oversized_body'].includes(category)),
    ).toEqual([]);
    expect(new Set(unparseableSignedRequests(secrets, 1_800_000_000, 50).map((r) => r.body)).size).toBe(50);
  });
});

/**
 * The suites' instruments must be able to see what they look for: a leak scanner that finds no
 * leak because it cannot, or a generator that never makes some category, would prove nothing.
 */
import { createHmac } from 'node:crypto';
import { newOfauthSecret, signDelivery } from '../../dev/deliveries.ts';
import { generateSvixSecret } from '../../testing/signers.ts';
import { badRequests, unparseableSignedRequests } from './support/bad-input.ts';
import { captureLogs, findSecretLeaks, secretForms } from './support/log-capture.ts';
import { candidateKeys, countEchoes, expectedSignatureDigests } from './support/signature-echo.ts';

describe('reliability instruments', () => {
  it('finds a secret in every encoding a log line could carry it', () => {
    // GIVEN a Svix secret and an OFAuth secret string
    const svix = generateSvixSecret();
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
      svix: generateSvixSecret(),
      ofauth: newOfauthSecret(),
      wrongSvix: generateSvixSecret(),
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

  it('finds an expected signature of either scheme, in any encoding, at the timestamp the request carries', () => {
    // GIVEN a verifier configured with a Svix and an OFAuth secret, and one delivery of each scheme
    // signed an hour ago (a stale request: not the current second)
    const svix = generateSvixSecret();
    const ofauth = newOfauthSecret();
    const now = 1_800_000_000;
    const body = '{"type":"connection.updated"}';
    const ofauthRequest = signDelivery(body, { scheme: 'ofauth', secret: ofauth, timestamp: now - 3600 });
    const svixRequest = signDelivery(body, {
      scheme: 'svix',
      secret: svix,
      id: 'msg_echo',
      timestamp: now - 3600,
    });
    const keys = candidateKeys([svix, ofauth]);
    const expected = new Set([
      ...expectedSignatureDigests(ofauthRequest, keys, now),
      ...expectedSignatureDigests(svixRequest, keys, now),
    ]);
    const ofauthSignature = /v1=([0-9a-f]{64})/.exec(ofauthRequest.headers['ofauth-signature']!)![1]!;
    const svixSignature = svixRequest.headers['svix-signature']!.slice('v1,'.length);
    const svixBytes = Buffer.from(svixSignature, 'base64');
    // WHEN lines carry those signatures in hex, base64 and base64url, inside other text
    const lines = [
      `{"expected":"t=${now - 3600},v1=${ofauthSignature}"}`,
      `{"expected":"${Buffer.from(ofauthSignature, 'hex').toString('base64')}"}`,
      `{"message":"expected v1,${svixSignature} for msg_echo"}`,
      `{"expected":"${svixBytes.toString('base64url')}"}`,
      `{"expected":"${svixBytes.toString('hex').toUpperCase()}"}`,
      `{"eventKey":"${'ab'.repeat(32)}","message":"nothing to see"}`,
    ];
    // THEN each of the first five is found, the last is not
    expect(lines.map((line) => countEchoes([line], expected))).toEqual([1, 1, 1, 1, 1, 0]);
  });
});

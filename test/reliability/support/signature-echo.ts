/**
 * The signatures a careless verifier could echo in an answer or write to a log: for one request,
 * every HMAC-SHA256 it might compute under either scheme (OFAuth: `{t}.{body}`; Svix / Standard
 * Webhooks: `{id}.{timestamp}.{body}`) with any configured secret (the string as it is, and a
 * `whsec_` key's decoded bytes), from every timestamp and message id the request carries, and
 * from the current second for a request that carries none. Written from the contract, apart from
 * the verifier's own signing code.
 *
 * Expected signatures are kept as digests (hex), and text is scanned for runs of hex, base64 or
 * base64url long enough to be one, each decoded and looked up: ten thousand requests' signatures
 * against thirty thousand log lines would otherwise be a billion substring searches.
 */
import { createHmac } from 'node:crypto';
import type { HttpRequest } from '../../../dev/api-gateway-event.ts';

/** HMAC keys a verifier configured with these secrets might use, for either scheme. */
export function candidateKeys(secrets: readonly string[]): Buffer[] {
  return secrets.flatMap((secret) => {
    const raw = Buffer.from(secret, 'utf8');
    return secret.startsWith('whsec_') ? [raw, Buffer.from(secret.slice('whsec_'.length), 'base64')] : [raw];
  });
}

function headerValues(request: HttpRequest, names: readonly string[]): string[] {
  const entries = Array.isArray(request.headers)
    ? (request.headers as ReadonlyArray<readonly [string, string]>)
    : Object.entries(request.headers ?? {});
  return entries.filter(([name]) => names.includes(name.toLowerCase())).map(([, value]) => value);
}

/** The body bytes the verifier would sign: as sent, and as API Gateway forwards it when that differs. */
function bodies(request: HttpRequest): Buffer[] {
  const sent = request.body === undefined ? [] : [Buffer.from(request.body)];
  if (request.forwardedBody === undefined) return sent;
  return [...sent, Buffer.from(request.forwardedBody), Buffer.from(request.forwardedBody, 'base64')];
}

/** The hex digests of every signature a verifier could expect for this request. */
export function expectedSignatureDigests(
  request: HttpRequest,
  keys: readonly Buffer[],
  nowSeconds: number,
): string[] {
  const ofauthTimes = headerValues(request, ['ofauth-signature']).flatMap((value) =>
    [...value.matchAll(/t\s*=\s*([^,;\s]*)/g)].map((match) => match[1]!),
  );
  const svixTimes = headerValues(request, ['svix-timestamp', 'webhook-timestamp']);
  const ids = headerValues(request, ['svix-id', 'webhook-id']);
  const times = [...new Set([...ofauthTimes, ...svixTimes, String(nowSeconds)])];
  const prefixes = [...times.map((t) => `${t}.`), ...ids.flatMap((id) => times.map((t) => `${id}.${t}.`))];
  return bodies(request).flatMap((body) =>
    prefixes.flatMap((prefix) =>
      keys.map((key) => createHmac('sha256', key).update(prefix).update(body).digest('hex')),
    ),
  );
}

const CANDIDATE_RUN = /[A-Za-z0-9+/_=-]{43,}/g;

/** The hex digests of every 32-byte value written in hex, base64 or base64url somewhere in `text`. */
export function digestsIn(text: string): Set<string> {
  const found = new Set<string>();
  for (const [run] of text.matchAll(CANDIDATE_RUN)) {
    for (let at = 0; at + 43 <= run.length; at++) {
      const hex = run.slice(at, at + 64);
      if (hex.length === 64 && /^[0-9a-fA-F]+$/.test(hex)) found.add(hex.toLowerCase());
      for (const length of [43, 44]) {
        const encoded = run.slice(at, at + length);
        if (encoded.length !== length) continue;
        const bytes = Buffer.from(encoded, 'base64');
        if (bytes.length === 32) found.add(bytes.toString('hex'));
      }
    }
  }
  return found;
}

/** How many of `texts` contain one of the expected digests. */
export function countEchoes(texts: readonly string[], expected: ReadonlySet<string>): number {
  return texts.filter((text) => [...digestsIn(text)].some((digest) => expected.has(digest))).length;
}

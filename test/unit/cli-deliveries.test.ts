import { relative, sep } from 'node:path';
import KSUID from 'ksuid';
import {
  asNewEvent,
  EXAMPLES_DIR,
  exampleTypes,
  loadPayload,
  newMessageId,
  rewritePayload,
} from '../../dev/deliveries.ts';
import { REPO_ROOT } from '../../dev/signing-secrets.ts';
import { parseEnvelope } from '../../lambda/shared/event-model.ts';
import { svixMessageTime } from '../../lambda/shared/event-time.ts';
import { eventKeyFor } from '../../lambda/verifier/event-key.ts';
import { EXAMPLE_EVENT_TYPES, exampleEvent } from '../../testing/examples.ts';

/** The key the verifier gives an `OFAuth-Signature` delivery of this body (no webhook id). */
function keyOf(payload: Record<string, unknown>) {
  const body = JSON.stringify(payload);
  const parsed = parseEnvelope(body);
  if (!parsed.ok) throw new Error(parsed.message);
  return eventKeyFor({ envelopeId: parsed.envelope.id, body: new TextEncoder().encode(body) });
}

describe('the examples send reads', () => {
  it('are the examples of the testing entry point, kept outside test/', () => {
    // GIVEN the folder the CLI and the inspector read their examples from
    const folder = relative(REPO_ROOT, EXAMPLES_DIR);
    // WHEN we compare it and its types with the package's examples
    // THEN it is not a test fixture folder, and it offers every type testing/ ships, with the same payload
    expect(folder.split(sep)[0]).not.toBe('test');
    expect(exampleTypes()).toEqual([...EXAMPLE_EVENT_TYPES].sort());
    for (const type of EXAMPLE_EVENT_TYPES) expect(loadPayload(type)).toEqual(exampleEvent(type));
  });
});

describe('what send puts on the wire', () => {
  it('makes each send of an SDK-shaped payload a new event, with its own top-level id', () => {
    // GIVEN the connection.created example in the SDK shape, which has no timestamp to vary
    const sdk = rewritePayload(loadPayload('connection.created'), { shape: 'sdk' });
    expect(sdk).not.toHaveProperty('timestamp');
    // WHEN it is prepared for two sends
    const first = asNewEvent(sdk, new Date());
    const second = asNewEvent(sdk, new Date());
    // THEN each carries a new `evt_` id, which the verifier takes as two different event keys;
    // the rest of the payload is unchanged
    expect(first.id).toMatch(/^evt_[\w-]{27}$/);
    expect(keyOf(first)).toEqual({ value: first.id, source: 'id' });
    expect(keyOf(second).value).not.toBe(keyOf(first).value);
    const { id: _id, ...rest } = first;
    expect(rest).toEqual(sdk);
  });

  it('makes each send of a documented payload a new event through its timestamp', () => {
    // GIVEN the documented example, which has a timestamp and no id
    const documented = loadPayload('rules.updated');
    // WHEN it is prepared for two sends a millisecond apart
    const first = asNewEvent(documented, new Date('2026-01-01T00:00:00.000Z'));
    const second = asNewEvent(documented, new Date('2026-01-01T00:00:00.001Z'));
    // THEN only the timestamp changes, and with it the body's hash, the event key
    expect(first).toEqual({ ...documented, timestamp: '2026-01-01T00:00:00.000Z' });
    expect(first).not.toHaveProperty('id');
    expect(keyOf(first).source).toBe('body-sha256');
    expect(keyOf(second).value).not.toBe(keyOf(first).value);
  });

  it('replaces an id the payload already carries, which would otherwise keep the old key', () => {
    // GIVEN a documented payload of the user's own with a top-level id
    const withId = { ...loadPayload('connection.updated'), id: 'evt_from_a_file' };
    // WHEN it is prepared for a send
    const sent = asNewEvent(withId, new Date());
    // THEN the id is new, so the verifier does not answer "duplicate" for the file's event
    expect(sent.id).toMatch(/^evt_/);
    expect(keyOf(sent).value).not.toBe('evt_from_a_file');
  });
});

describe('the Svix message ids send mints', () => {
  it('are KSUIDs of the send time, read the same by the processor and by an independent KSUID library', () => {
    // GIVEN ids minted at a known instant
    const now = Date.parse('2024-01-15T10:30:07.900Z');
    const ids = Array.from({ length: 50 }, () => newMessageId(now));
    for (const id of ids) {
      // WHEN each is read / THEN both readers find the send time, to the second
      expect(id).toMatch(/^msg_[0-9A-Za-z]{27}$/);
      expect(svixMessageTime(id)?.toISOString()).toBe('2024-01-15T10:30:07.000Z');
      expect(KSUID.parse(id.slice('msg_'.length)).date.toISOString()).toBe('2024-01-15T10:30:07.000Z');
    }
    // AND they differ from each other (16 random bytes each)
    expect(new Set(ids).size).toBe(ids.length);
  });
});

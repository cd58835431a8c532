/**
 * `ofauth-webhook-receiver/testing`, imported by the package's name as a consumer does: signed
 * requests that the verifier and the Svix library accept, example events the event model parses,
 * and SQS events that carry what the processor reads.
 */

import {
  EXAMPLE_EVENT_TYPES,
  exampleEvent,
  generateSvixSecret,
  lambdaContext,
  signedRequest,
  sqsEvent,
} from 'ofauth-webhook-receiver/testing';
import { Webhook as SvixWebhook } from 'svix';
import { parseEnvelope } from '../../lambda/shared/event-model.ts';
import { MESSAGE_ATTRIBUTES } from '../../lambda/shared/queue-message.ts';
import { verifySignature } from '../../lambda/verifier/signature.ts';
import { fixtureEvent } from '../fixtures/events.ts';

describe('signedRequest', () => {
  it('signs an event with the OFAuth scheme, which the verifier accepts', () => {
    // GIVEN an example event signed with a secret
    const request = signedRequest({ body: exampleEvent('connection.created'), secret: 'our-secret' });
    // WHEN the verifier checks it
    const result = verifySignature(Buffer.from(request.body), request.headers, ['our-secret'], {
      now: Date.now(),
    });
    // THEN it verifies, over the exact body sent
    expect(result).toMatchObject({ ok: true, scheme: 'ofauth' });
    expect(JSON.parse(request.body)).toEqual(exampleEvent('connection.created'));
  });

  it('signs with the Svix scheme, which the Svix library itself accepts', () => {
    const secret = generateSvixSecret('testing-entry');
    const request = signedRequest({
      body: exampleEvent('rules.updated'),
      secret,
      scheme: 'svix',
      id: 'msg_1',
    });
    // The Svix library throws on a signature it does not accept.
    expect(() => new SvixWebhook(secret).verify(request.body, { ...request.headers })).not.toThrow();
    expect(() =>
      new SvixWebhook(generateSvixSecret('another')).verify(request.body, { ...request.headers }),
    ).toThrow();
    expect(request.headers['svix-id']).toBe('msg_1');
  });

  it('fails verification with another secret', () => {
    const request = signedRequest({ body: '{"type":"x"}', secret: 'one' });
    expect(
      verifySignature(Buffer.from(request.body), request.headers, ['two'], { now: Date.now() }),
    ).toMatchObject({
      ok: false,
      code: 'invalid_signature',
    });
  });
});

describe('exampleEvent', () => {
  it.each(EXAMPLE_EVENT_TYPES)(
    'gives the repository’s own %s example, which the event model parses',
    (type) => {
      const event = exampleEvent(type);
      expect(event).toEqual(fixtureEvent(`${type}.json`));
      expect(parseEnvelope(JSON.stringify(event))).toMatchObject({ ok: true, envelope: { type } });
    },
  );

  it('gives a fresh object each time', () => {
    const first = exampleEvent('connection.created');
    first.data.connection.id = 'changed';
    expect(exampleEvent('connection.created').data.connection.id).toBe('conn_abc123');
  });
});

describe('sqsEvent', () => {
  it('builds the FIFO record the processor receives: the connection’s group and the verifier’s attributes', () => {
    const [record] = sqsEvent({ body: exampleEvent('connection.created') }).Records;
    expect(record!.attributes.MessageGroupId).toBe('conn_abc123');
    expect(Object.keys(record!.messageAttributes).sort()).toEqual(
      [
        MESSAGE_ATTRIBUTES.eventKey,
        MESSAGE_ATTRIBUTES.eventType,
        MESSAGE_ATTRIBUTES.receivedAt,
        MESSAGE_ATTRIBUTES.signatureScheme,
      ].sort(),
    );
    expect(lambdaContext().getRemainingTimeInMillis()).toBeGreaterThan(0);
  });
});

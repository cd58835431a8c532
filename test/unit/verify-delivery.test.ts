/**
 * The verifier's use case without its middleware: the outcome it reports, the tolerance it is
 * given, the keys it announces, and the error it throws for a body it refuses.
 */
import { HandOff, type LeaseClock } from '../../lambda/verifier/hand-off.ts';
import type { SigningSecretSource } from '../../lambda/verifier/secrets.ts';
import {
  BodyRejectedError,
  type DeliveryKeys,
  type RawDelivery,
  VerifyDelivery,
} from '../../lambda/verifier/verify-delivery.ts';
import { signOfAuth } from '../../testing/signers.ts';
import { InMemoryEventQueue, InMemoryEventRecords } from '../support/in-memory-verifier.ts';

const SECRET = 'verify_delivery_test_secret';
const NOW = 1_700_000_000_000;
const lease: LeaseClock = { getRemainingTimeInMillis: () => 5_000 };
const secrets: SigningSecretSource = { current: async () => [SECRET], refresh: async () => undefined };

function delivery(body: string, ageSeconds = 0): RawDelivery {
  const timestamp = NOW / 1000 - ageSeconds;
  return {
    body: Buffer.from(body),
    headers: { 'OFAuth-Signature': signOfAuth({ secret: SECRET, body, timestamp }) },
    receivedAt: NOW,
  };
}

const connectionCreated = '{"type":"connection.created","data":{"connection":{"id":"conn_1"}}}';

function verifier(options: { toleranceSeconds?: number; annotate?: (k: DeliveryKeys) => void }) {
  return new VerifyDelivery({
    secrets,
    handOff: new HandOff({
      records: new InMemoryEventRecords(),
      queue: new InMemoryEventQueue(),
    }),
    clock: () => NOW,
    ...(options.toleranceSeconds !== undefined && { toleranceSeconds: options.toleranceSeconds }),
    ...(options.annotate && { annotate: options.annotate }),
  });
}

describe('VerifyDelivery', () => {
  it('reports an event handed on with its key and its count of claims', async () => {
    const outcome = await verifier({}).handle(delivery(connectionCreated), lease);
    expect(outcome).toStrictEqual({ status: 'enqueued', eventKey: expect.any(String), deliveries: 1 });
  });

  it('applies the tolerance it is given, and 300 s without one', async () => {
    const old = delivery(connectionCreated, 100);
    await expect(verifier({ toleranceSeconds: 60 }).handle(old, lease)).rejects.toMatchObject({
      statusCode: 401,
      code: 'timestamp_out_of_tolerance',
    });
    await expect(verifier({}).handle(old, lease)).resolves.toMatchObject({ status: 'enqueued' });
    await expect(verifier({}).handle(delivery(connectionCreated, 301), lease)).rejects.toMatchObject({
      code: 'timestamp_out_of_tolerance',
    });
  });

  it('announces the scheme once it is known, and no scheme for a delivery without a signature', async () => {
    const announced: DeliveryKeys[] = [];
    const subject = verifier({ annotate: (keys) => announced.push(keys) });
    await expect(
      subject.handle({ body: Buffer.from(connectionCreated), headers: {}, receivedAt: NOW }, lease),
    ).rejects.toMatchObject({ code: 'missing_signature' });
    expect(announced).toEqual([]);
    await subject.handle(delivery(connectionCreated), lease);
    expect(announced).toEqual([
      { scheme: 'ofauth' },
      { eventKey: expect.any(String), eventType: 'connection.created', connectionId: 'conn_1' },
    ]);
  });

  it('rejects a signed body that is not JSON with a BodyRejectedError', async () => {
    const failure = await verifier({})
      .handle(delivery('not json'), lease)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BodyRejectedError);
    expect(failure).toMatchObject({ name: 'BodyRejectedError', statusCode: 400, code: 'invalid_json' });
  });
});

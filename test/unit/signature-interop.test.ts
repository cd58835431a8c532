import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { Webhook as SvixWebhook } from 'svix';
import { verifySignature } from '../../lambda/verifier/signature.ts';
import { fixtureBody, TEST_OFAUTH_SECRET, TEST_SVIX_SECRET } from '../support/signing.ts';

const body = fixtureBody('connection.created');
const now = Date.now();
const timestamp = new Date(Math.floor(now / 1000) * 1000);

describe('interoperability with independent signers', () => {
  it('verifies a delivery signed by the svix library', () => {
    // GIVEN headers produced by `new Webhook(secret).sign(...)` of the real svix package
    const signature = new SvixWebhook(TEST_SVIX_SECRET).sign('msg_svix_1', timestamp, body);
    const headers = {
      'svix-id': 'msg_svix_1',
      'svix-timestamp': String(timestamp.getTime() / 1000),
      'svix-signature': signature,
    };
    // WHEN verified with the same secret among others
    const result = verifySignature(Buffer.from(body), headers, [TEST_OFAUTH_SECRET, TEST_SVIX_SECRET], {
      now,
    });
    // THEN it is accepted with the svix id
    expect(result).toMatchObject({ ok: true, scheme: 'svix', webhookId: 'msg_svix_1' });
  });

  it('verifies a delivery signed by the standardwebhooks library', () => {
    const signature = new StandardWebhook(TEST_SVIX_SECRET).sign('msg_std_1', timestamp, body);
    const headers = {
      'webhook-id': 'msg_std_1',
      'webhook-timestamp': String(timestamp.getTime() / 1000),
      'webhook-signature': signature,
    };
    expect(verifySignature(Buffer.from(body), headers, [TEST_SVIX_SECRET], { now })).toMatchObject({
      ok: true,
      scheme: 'svix',
      webhookId: 'msg_std_1',
    });
  });

  it('verifies a Stripe-style t=,v1= header built by the stripe package', () => {
    // GIVEN the header layout OFAuth-Signature shares with Stripe-Signature, built by Stripe's SDK
    const header = Stripe.webhooks.generateTestHeaderString({
      payload: body,
      secret: TEST_OFAUTH_SECRET,
      timestamp: Math.floor(now / 1000),
    });
    // THEN it verifies as an OFAuth-Signature
    expect(
      verifySignature(Buffer.from(body), { 'OFAuth-Signature': header }, [TEST_OFAUTH_SECRET], { now }),
    ).toMatchObject({ ok: true, scheme: 'ofauth' });
  });

  it('rejects a svix-signed delivery whose body was re-serialized', () => {
    const signature = new SvixWebhook(TEST_SVIX_SECRET).sign('msg_svix_2', timestamp, body);
    const headers = {
      'svix-id': 'msg_svix_2',
      'svix-timestamp': String(timestamp.getTime() / 1000),
      'svix-signature': signature,
    };
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(body)));
    expect(verifySignature(reserialized, headers, [TEST_SVIX_SECRET], { now })).toMatchObject({
      code: 'invalid_signature',
    });
  });
});

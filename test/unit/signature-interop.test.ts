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

  describe('a whsec_ secret written in another base64 form', () => {
    // 32 key bytes whose standard base64 has `+`, `/` and one `=` of padding.
    const key = Buffer.from(Array.from({ length: 32 }, (_, index) => (5 + index * 13) % 256));
    const standard = key.toString('base64');
    const forms = {
      unpadded: standard.replace(/=+$/, ''),
      'URL-safe': key.toString('base64url').padEnd(standard.length, '='),
      'URL-safe and unpadded': key.toString('base64url'),
    };

    it('has the characters that tell the forms apart', () => {
      expect(standard).toMatch(/\+/);
      expect(standard).toMatch(/\//);
      expect(standard).toMatch(/=$/);
    });

    it.each(Object.entries(forms))(
      'verifies svix-signed deliveries with the secret written %s',
      (_form, encoded) => {
        // GIVEN a delivery signed by the svix library with the secret in its canonical form
        const signature = new SvixWebhook(`whsec_${standard}`).sign('msg_forms', timestamp, body);
        const headers = {
          'svix-id': 'msg_forms',
          'svix-timestamp': String(timestamp.getTime() / 1000),
          'svix-signature': signature,
        };
        // WHEN the receiver is configured with the same secret in another form
        const result = verifySignature(Buffer.from(body), headers, [`whsec_${encoded}`], { now });
        // THEN it verifies
        expect(result).toMatchObject({ ok: true, scheme: 'svix', webhookId: 'msg_forms' });
      },
    );

    it('verifies a delivery the svix library signed with the unpadded secret itself', () => {
      // svix's own decoder takes unpadded base64, so a sender may hold the secret that way too.
      const unpadded = `whsec_${forms.unpadded}`;
      const signature = new SvixWebhook(unpadded).sign('msg_unpadded', timestamp, body);
      const headers = {
        'svix-id': 'msg_unpadded',
        'svix-timestamp': String(timestamp.getTime() / 1000),
        'svix-signature': signature,
      };
      expect(verifySignature(Buffer.from(body), headers, [unpadded], { now })).toMatchObject({ ok: true });
    });

    it.each([
      ['mixed alphabets', `${forms['URL-safe and unpadded'].slice(0, 20)}+/${forms.unpadded.slice(22)}`],
      ['padding that does not complete a block', `${forms.unpadded}==`],
      ['a length that no byte count has', `${forms.unpadded}AA`],
      ['characters outside base64', `${forms.unpadded.slice(0, -1)}*`],
    ])('rejects a whsec_ secret with %s as a Svix key', (_case, encoded) => {
      const signature = new SvixWebhook(`whsec_${standard}`).sign('msg_bad', timestamp, body);
      const headers = {
        'svix-id': 'msg_bad',
        'svix-timestamp': String(timestamp.getTime() / 1000),
        'svix-signature': signature,
      };
      expect(verifySignature(Buffer.from(body), headers, [`whsec_${encoded}`], { now })).toMatchObject({
        ok: false,
        code: 'invalid_signature',
      });
    });
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

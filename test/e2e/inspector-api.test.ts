/**
 * The inspector's server, without a browser: the page it serves, the guard in front of its API,
 * its event stream, and its answers to bad actions. The browser tests drive the same server.
 */
import { request } from 'node:http';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DeliveryDetail, DeliverySummary, Snapshot } from '../../local/inspector/api-types.ts';
import { connectionEvent } from '../fixtures/events.ts';
import { type InspectedPipeline, readStream, startInspectedPipeline } from '../support/inspector.ts';
import { deliver, eventually, uniqueConnectionId } from './pipeline-support.ts';

/** GETs a path with a `Host` header of our choosing (fetch always sends the URL's). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const call = request(
      { hostname: target.hostname, port: target.port, path: target.pathname, headers: { host } },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    call.on('error', reject);
    call.end();
  });
}

/** The page's budget: HTML, CSS and script together, unminified HTML and CSS included. */
const PAGE_BUDGET_BYTES = 64 * 1024;

describe('the local inspector’s server', () => {
  let inspected: InspectedPipeline;
  let page: string;

  beforeAll(async () => {
    inspected = await startInspectedPipeline();
    page = inspected.pageUrl;
  });

  afterAll(async () => {
    await inspected?.stop();
  });

  const api = (path: string, init?: RequestInit) => fetch(new URL(path, page), init);
  const deliveries = async () => (await (await api('/api/deliveries')).json()) as DeliverySummary[];

  it('serves the page offline: three files, a policy that loads nothing from elsewhere, within budget', async () => {
    // WHEN the page and its two files are fetched
    const files = await Promise.all(['/', '/inspector.css', '/inspector.js'].map((path) => api(path)));
    // THEN each is served with a content security policy that allows this origin only
    const bodies = await Promise.all(files.map((file) => file.text()));
    for (const file of files) {
      expect(file.status).toBe(200);
      expect(file.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(file.headers.get('content-security-policy')).not.toMatch(/https?:/);
    }
    expect(files.map((file) => file.headers.get('content-type'))).toEqual([
      'text/html; charset=utf-8',
      'text/css; charset=utf-8',
      'text/javascript; charset=utf-8',
    ]);
    // AND nothing in them points to another host (no CDN, no web font)
    for (const body of bodies) expect(body).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    expect(bodies[1]).not.toMatch(/@import|url\(/);
    const bytes = bodies.reduce((total, body) => total + Buffer.byteLength(body), 0);
    expect(bytes).toBe(await inspected.inspector.pageBytes());
    expect(bytes).toBeLessThan(PAGE_BUDGET_BYTES);
  }, 30_000);

  it('keeps the webhook route, /healthz and the 404 of unknown paths as they were', async () => {
    expect((await api('/healthz')).status).toBe(200);
    expect((await api('/webhooks/ofauth', { method: 'GET' })).status).toBe(404);
    expect((await api('/nothing-here')).status).toBe(404);
    expect((await api('/api/nothing-here')).status).toBe(404);
  }, 30_000);

  it('rejects requests naming another host, actions from another origin or not in JSON, and sends nothing', async () => {
    const before = (await deliveries()).length;
    const action = { type: 'connection.created', scheme: 'ofauth' };
    // WHEN a DNS-rebinding page reads, a cross-site page posts a form, or another origin posts JSON
    const rebinding = await getWithHost(
      new URL('/api/deliveries', page).href,
      `attacker.example:${inspected.pipeline.port}`,
    );
    const form = await api('/api/send', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'type=connection.created&scheme=ofauth',
    });
    const crossOrigin = await api('/api/send', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://attacker.example' },
      body: JSON.stringify(action),
    });
    // THEN each is refused with a clear code, and no delivery was sent
    expect([rebinding.status, form.status, crossOrigin.status]).toEqual([403, 415, 403]);
    expect(JSON.parse(rebinding.body).error).toBe('forbidden_host');
    expect(((await crossOrigin.json()) as { error: string }).error).toBe('forbidden_origin');
    expect((await deliveries()).length).toBe(before);
  }, 30_000);

  it.each([
    [{ type: 'no.such.type', scheme: 'ofauth' }, 'invalid_type'],
    [{ type: 'connection.created', scheme: 'hmac' }, 'invalid_scheme'],
    [{ type: 'connection.created', scheme: 'ofauth', connectionId: '' }, 'invalid_connection_id'],
    [{ type: 'connection.created', scheme: 'ofauth', tamper: 'yes' }, 'invalid_tamper'],
  ])(
    'rejects a send of %j with 400 %s, and sends nothing',
    async (body, code) => {
      const before = (await deliveries()).length;
      const answer = await api('/api/send', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(answer.status).toBe(400);
      expect(((await answer.json()) as { error: string }).error).toBe(code);
      expect((await deliveries()).length).toBe(before);
    },
    30_000,
  );

  it('rejects a replay of an unknown delivery (404) and of a rejected one (409)', async () => {
    const post = (id: string) =>
      api(`/api/deliveries/${id}/replay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
    expect((await post('no-such-delivery')).status).toBe(404);
    await deliver(inspected.pipeline, connectionEvent('connection.updated'), {
      headers: { 'ofauth-signature': 't=1,v1=00' },
    });
    const rejected = (await deliveries()).find((row) => row.status === 401)!;
    const answer = await post(rejected.id);
    expect(answer.status).toBe(409);
    expect(((await answer.json()) as { error: string }).error).toBe('not_replayable');
  }, 30_000);

  it('streams a snapshot first, then each delivery as it is answered and as its event is processed', async () => {
    // GIVEN an open stream
    const connectionId = uniqueConnectionId('stream');
    // WHEN an event is delivered after the snapshot arrived
    const events = await readStream(
      page,
      (seen) =>
        seen.some(
          (event) =>
            event.event === 'delivery' &&
            (event.data as DeliverySummary).connectionId === connectionId &&
            (event.data as DeliverySummary).fate === 'processed',
        ),
      15_000,
      () => deliver(inspected.pipeline, connectionEvent('connection.created', { connectionId })),
    );
    // THEN the snapshot came first, then the row answered 202, then the row processed
    expect(events[0]!.event).toBe('snapshot');
    const snapshot = events[0]!.data as Snapshot;
    expect(snapshot.config).toMatchObject({ webhookUrl: inspected.pipeline.url, maxReceiveCount: 5 });
    const rows = events
      .filter((event) => event.event === 'delivery')
      .map((event) => event.data as DeliverySummary)
      .filter((row) => row.connectionId === connectionId);
    expect(rows[0]).toMatchObject({ status: 202, scheme: 'ofauth', eventType: 'connection.created' });
    expect(rows.at(-1)?.fate).toBe('processed');
  }, 30_000);

  it("answers an event's detail with its record, the one `trace` reads, and the record's fate", async () => {
    // GIVEN an event delivered and processed
    const connectionId = uniqueConnectionId('record');
    await deliver(inspected.pipeline, connectionEvent('connection.created', { connectionId }));
    const row = await eventually(
      async () =>
        (await deliveries()).find(
          (entry) => entry.connectionId === connectionId && entry.fate === 'processed',
        ),
      15_000,
      'the event processed',
    );
    // WHEN its detail is asked for
    const detail = (await (
      await api(`/api/deliveries/${encodeURIComponent(row.id)}`)
    ).json()) as DeliveryDetail;
    // THEN it carries the event's record as the table holds it, and the fate it says
    const { Item } = await DynamoDBDocumentClient.from(inspected.pipeline.clients.dynamodb).send(
      new GetCommand({
        TableName: inspected.pipeline.resources.processedEventsTableName,
        Key: { eventKey: row.eventKey },
        ConsistentRead: true,
      }),
    );
    expect(Item).toMatchObject({ eventKey: row.eventKey, attempts: 1, processedAt: expect.any(String) });
    expect(detail.record).toEqual(Item);
    expect(detail.summary.fate).toBe('processed');
    // AND, npm start publishing to its bus, when the record says the event was published
    expect(detail.publication).toEqual({ label: 'published', text: Item!.publishedAt });
  }, 30_000);

  it('lists a signed body the verifier could not hand on, with its reason, on the dead-letter queue', async () => {
    // WHEN a genuinely signed body that is not JSON arrives
    const answer = await deliver(inspected.pipeline, 'this is not json');
    expect(answer.status).toBe(400);
    // THEN the dead-letter queue list shows it with the verifier's reason
    const kept = await eventually(
      async () => {
        const list = (await (await api('/api/dead-letters')).json()) as Snapshot['deadLetters'];
        return list.messages.find((message) => message.reason === 'rejected by the verifier: invalid_json');
      },
      10_000,
      'the rejected body on the dead-letter queue',
    );
    expect(kept).toMatchObject({ groupId: 'rejected' });
  }, 30_000);

  it('never answers a signing secret or a signature', async () => {
    const secret = inspected.pipeline.secrets.values[0]!;
    const sent = await deliver(inspected.pipeline, connectionEvent('connection.created'), { scheme: 'svix' });
    const signature = sent.headers['svix-signature']!.split(',')[1]!;
    const [snapshot] = await readStream(page, (events) => events.length > 0, 5_000);
    const details = await Promise.all(
      (await deliveries()).map(
        async (row) => (await (await api(`/api/deliveries/${row.id}`)).json()) as DeliveryDetail,
      ),
    );
    const everything = JSON.stringify([snapshot, details]);
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(secret.replace(/^whsec_/, ''));
    expect(everything).not.toContain(signature);
  }, 30_000);
});

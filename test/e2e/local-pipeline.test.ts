import type { LocalPipeline } from '../../local/pipeline.ts';
import { connectionEvent, exampleEvent, toSdkShape } from '../fixtures/events.ts';
import {
  connectionItem,
  deliver,
  eventually,
  type HandledEvent,
  startRecordingPipeline,
  uniqueConnectionId,
} from './pipeline-support.ts';

describe('the local pipeline, end to end', () => {
  let pipeline: LocalPipeline;
  let processed: HandledEvent[] = [];

  beforeAll(async () => {
    // GIVEN the pipeline with the default handlers, recording what each processed
    ({ pipeline, handled: processed } = await startRecordingPipeline());
  });

  afterAll(async () => {
    await pipeline?.stop();
  });

  const processedCount = (eventId: string) => processed.filter((entry) => entry.eventId === eventId).length;

  it('processes deliveries signed with either scheme', async () => {
    // GIVEN two new connections
    const viaOfAuth = uniqueConnectionId('ofauth');
    const viaSvix = uniqueConnectionId('svix');
    const created = (id: string) => {
      const event = exampleEvent('connection.created');
      return { ...event, data: { ...event.data, connection: { ...(event.data.connection as object), id } } };
    };
    // WHEN one arrives signed with OFAuth-Signature (documented shape) and one with Svix (SDK shape)
    const first = await deliver(pipeline, created(viaOfAuth), { scheme: 'ofauth' });
    const second = await deliver(pipeline, toSdkShape(created(viaSvix)), { scheme: 'svix' });
    // THEN both are accepted and the processor registers both connections
    expect([first.status, second.status]).toEqual([202, 202]);
    const items = await eventually(
      async () => {
        const found = await Promise.all([
          connectionItem(pipeline, viaOfAuth),
          connectionItem(pipeline, viaSvix),
        ]);
        return found.every(Boolean) ? found : undefined;
      },
      15_000,
      'both connections in the connections table',
    );
    expect(items).toEqual([
      expect.objectContaining({ connectionId: viaOfAuth, status: 'active', clientReferenceId: 'user_456' }),
      expect.objectContaining({ connectionId: viaSvix, status: 'active', clientReferenceId: 'user_456' }),
    ]);
    expect(processed.filter((entry) => [viaOfAuth, viaSvix].includes(entry.connectionId ?? ''))).toHaveLength(
      2,
    );
  }, 30_000);

  it('processes a duplicate delivery once', async () => {
    // GIVEN a delivery that was accepted
    const connectionId = uniqueConnectionId('dup');
    const event = connectionEvent('connection.updated', {
      connectionId,
      timestamp: new Date().toISOString(),
      permissions: ['profile:read'],
    });
    const first = await deliver(pipeline, event);
    expect(first.status).toBe(202);
    const eventId = String(first.json.eventId);
    await eventually(() => (processedCount(eventId) > 0 ? true : undefined), 15_000, 'the first processing');
    // WHEN OFAuth retries it, re-signed with a new timestamp
    await new Promise((wake) => setTimeout(wake, 1000));
    const retry = await deliver(pipeline, event);
    // THEN the retry is answered as a duplicate and nothing is processed again
    expect(retry.status).toBe(200);
    expect(retry.json).toMatchObject({ duplicate: true });
    // AND a later event of the same connection is processed (the positive control: had the retry
    // been enqueued, the FIFO group would have processed it before this one)
    const later = await deliver(
      pipeline,
      connectionEvent('connection.updated', {
        connectionId,
        timestamp: new Date(Date.now() + 1000).toISOString(),
        permissions: ['profile:read', 'posts:read'],
      }),
    );
    expect(later.status).toBe(202);
    const laterId = String(later.json.eventId);
    await eventually(() => (processedCount(laterId) > 0 ? true : undefined), 15_000, 'the later event');
    expect(processedCount(eventId)).toBe(1);
  }, 30_000);

  it('processes 20 connections × 10 in-order events in per-connection order', async () => {
    // GIVEN 20 connections, each sending 10 updates in order (each after the previous one's 2xx,
    // as OFAuth delivers per connection), all connections at once
    const connections = Array.from({ length: 20 }, (_, index) => uniqueConnectionId(`order${index}`));
    // Stamped in the past: a time more than 5 s after its receipt would be replaced by the receipt.
    const base = Date.now() - 10_000;
    // WHEN they are delivered
    const answers = await Promise.all(
      connections.map(async (connectionId) => {
        const statuses: number[] = [];
        for (let seq = 0; seq < 10; seq += 1) {
          const event = connectionEvent('connection.updated', {
            connectionId,
            timestamp: new Date(base + seq * 1000).toISOString(),
            permissions: [`seq:${seq}`],
          });
          statuses.push((await deliver(pipeline, event)).status);
        }
        return statuses;
      }),
    );
    expect(answers.flat()).toEqual(Array(200).fill(202));
    // THEN every connection's events were processed, in the order they were sent
    const ofConnection = (id: string) => processed.filter((entry) => entry.connectionId === id);
    await eventually(
      () => (connections.every((id) => ofConnection(id).length >= 10) ? true : undefined),
      60_000,
      'all 200 events processed',
    );
    for (const connectionId of connections) {
      expect(ofConnection(connectionId).map((entry) => entry.permissions?.[0])).toEqual(
        Array.from({ length: 10 }, (_, seq) => `seq:${seq}`),
      );
    }
    // AND the registry holds each connection's last update
    const last = await connectionItem(pipeline, connections[7]!);
    expect(last?.permissions).toEqual(['seq:9']);
  }, 90_000);
});

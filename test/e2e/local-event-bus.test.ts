/**
 * `npm start` publishes too: the local pipeline's processor publishes each handled event to the
 * recording bus (`local/event-bus.ts`, EventBridge's PutEvents shapes, no rules), and the
 * inspector lists what was published (`GET /api/published`, the "Published" tab).
 */
import type { PublishedView } from '../../local/inspector/api-types.ts';
import { connectionEvent } from '../fixtures/events.ts';
import { type InspectedPipeline, readStream, startInspectedPipeline } from '../support/inspector.ts';
import { deliver, eventually, uniqueConnectionId } from './pipeline-support.ts';

describe('the local pipeline’s event bus', () => {
  let inspected: InspectedPipeline;

  beforeAll(async () => {
    inspected = await startInspectedPipeline();
  });

  afterAll(async () => {
    await inspected?.stop();
  });

  it('publishes a delivered event once it is processed, and the inspector lists it', async () => {
    // GIVEN the pipeline as npm start runs it WHEN an event is delivered
    const connectionId = uniqueConnectionId('bus');
    const answer = await deliver(inspected.pipeline, connectionEvent('connection.created', { connectionId }));
    expect(answer.status).toBe(202);

    // THEN the recording bus receives it with the published source and type
    const published = await eventually(
      () =>
        inspected.pipeline.eventBus.events.find(
          (event) => (event.detail as { connectionId?: string }).connectionId === connectionId,
        ),
      15_000,
      'the published event',
    );
    expect(published).toMatchObject({ source: 'ofauth.realtime', detailType: 'connection.created' });

    // AND the inspector's API lists it, newest first
    const view = (await (await fetch(new URL('/api/published', inspected.pageUrl))).json()) as PublishedView;
    expect(view.enabled).toBe(true);
    expect(view.events[0]).toMatchObject({
      detailType: 'connection.created',
      connectionId,
      eventKey: (published.detail as { eventKey: string }).eventKey,
      replay: false,
    });
  }, 30_000);

  it('pushes the published list to the page over its stream', async () => {
    // GIVEN an open stream WHEN an event is delivered and processed
    const connectionId = uniqueConnectionId('bus-stream');
    const events = await readStream(
      inspected.pageUrl,
      (seen) =>
        seen.some(
          (event) =>
            event.event === 'published' &&
            (event.data as PublishedView).events.some((published) => published.connectionId === connectionId),
        ),
      15_000,
      () => deliver(inspected.pipeline, connectionEvent('connection.updated', { connectionId })),
    );
    // THEN the snapshot carried the list, and a 'published' event brought the new one
    expect(events[0]).toMatchObject({ event: 'snapshot', data: { published: { enabled: true } } });
    expect(events.filter((event) => event.event === 'published').length).toBeGreaterThan(0);
  }, 30_000);
});

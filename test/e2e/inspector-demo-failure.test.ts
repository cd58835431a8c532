/**
 * The local pipeline's failures on purpose, as docs/inspector.md tells a newcomer to try them: a
 * `send` for a connection id starting with `demo_fail_` fails its handler on every receive, moves to
 * the dead-letter queue, and goes through once redriven. The pipeline's own handler wiring, no
 * handler injected by the test.
 */
import { randomUUID } from 'node:crypto';
import { runCli } from '../../cli/index.ts';
import { DEMO_FAILURE_PREFIX } from '../../local/demo-failures.ts';
import type { DeadLetterQueueView, DeliverySummary, RegistryView } from '../../local/inspector/api-types.ts';
import { type InspectedPipeline, readStream, startInspectedPipeline } from '../support/inspector.ts';
import { eventually } from './pipeline-support.ts';

describe('failing on purpose in the local pipeline (a demo_fail_ connection)', () => {
  let inspected: InspectedPipeline;

  beforeAll(async () => {
    // GIVEN a local pipeline with the app's own handlers, 2 receives before the dead-letter queue and a 1 s visibility timeout
    inspected = await startInspectedPipeline({ maxReceiveCount: 2, visibilityTimeoutSeconds: 1 });
  });

  afterAll(async () => {
    await inspected?.stop();
  });

  it('retries, dead-letters and, once redriven, processes the event, as the inspector shows', async () => {
    const connectionId = `${DEMO_FAILURE_PREFIX}${randomUUID().slice(0, 8)}`;
    let output = '';
    const io = {
      stdout: { write: (text: string) => (output += text) },
      stderr: { write: (text: string) => (output += text), isTTY: false },
      env: { OFAUTH_WEBHOOK_SECRET: inspected.pipeline.secrets.values[0] },
    };
    // WHEN the CLI sends connection.created for a demo_fail_ connection, as the docs say
    const events = await readStream(
      inspected.pageUrl,
      (seen) =>
        seen.some(
          ({ event, data }) =>
            event === 'dead-letters' &&
            (data as DeadLetterQueueView).messages.some((message) => message.source === 'redrive-policy'),
        ),
      30_000,
      async () => {
        const code = await runCli(
          ['send', 'connection.created', '--connection', connectionId, '--url', inspected.pipeline.url],
          io,
        );
        expect(`exit ${code}: ${output}`).toMatch(/^exit 0: /);
      },
    );
    // THEN the inspector showed it retrying, then dead-lettered by SQS with the failure's reason
    const fates = events
      .filter(
        ({ event, data }) => event === 'delivery' && (data as DeliverySummary).connectionId === connectionId,
      )
      .map(({ data }) => (data as DeliverySummary).fate);
    expect(fates).toContain('retrying');
    expect(fates.at(-1)).toBe('dead-letter');
    const dead = (events.at(-1)!.data as DeadLetterQueueView).messages;
    expect(dead).toEqual([
      expect.objectContaining({
        source: 'redrive-policy',
        reason: expect.stringContaining(
          `failing on purpose (local pipeline only): a connection id starting with ${DEMO_FAILURE_PREFIX}`,
        ),
      }),
    ]);
    // WHEN the dead-letter queue is redriven from the inspector
    const redrive = await fetch(new URL('/api/dead-letters/redrive', inspected.pageUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(redrive.status).toBe(200);
    // THEN the event goes through: processed, and its connection registered
    const summary = await eventually(
      async () => {
        const rows = (await (
          await fetch(new URL('/api/deliveries', inspected.pageUrl))
        ).json()) as DeliverySummary[];
        return rows.find((row) => row.connectionId === connectionId && row.fate === 'processed');
      },
      20_000,
      'the redriven demo event to be processed',
    );
    expect(summary.attempts).toBe(3);
    const registry = (await (
      await fetch(new URL('/api/connections', inspected.pageUrl))
    ).json()) as RegistryView;
    expect(registry.connections.map((connection) => connection.connectionId)).toContain(connectionId);
  }, 60_000);
});

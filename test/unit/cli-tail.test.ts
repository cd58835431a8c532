/**
 * `tail`'s parts that need no pipeline: the line and the JSON object of one published event, and
 * the refusals (the command itself follows a real local pipeline in test/e2e/cli-tail.test.ts).
 */

import { runCli } from '../../cli/index.ts';
import { formatPublishedLine, NO_DEPLOYED_TAIL, publishedJson } from '../../cli/tail.ts';
import type { RecordedBusEvent } from '../../local/event-bus.ts';
import { captureIo } from '../support/cli-io.ts';

const published: RecordedBusEvent = {
  sequence: 7,
  id: 'b6d1c1d2-0000-4000-8000-000000000001',
  source: 'ofauth.realtime',
  detailType: 'connection.created',
  detail: {
    event: { type: 'connection.created' },
    connectionId: 'conn_abc123',
    eventKey: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
    eventTime: '2026-01-05T10:00:00.000Z',
  },
  time: '2026-01-05T10:00:00.000Z',
  eventBusName: 'ofauth-local',
  publishedAt: '2026-01-05T10:00:01.250Z',
};

async function cli(args: string[]) {
  const { io, out, err } = captureIo({
    env: { OFAUTH_LOCAL_STATE_FILE: '/nonexistent/ofauth-tail-test/pipeline.json' },
  });
  const code = await runCli(args, io);
  return { code, stdout: out(), stderr: err() };
}

describe('tail', () => {
  it('prints one event as its published time, detail-type, connection id and event key', () => {
    // GIVEN an event the bus recorded WHEN it is formatted for a terminal
    // THEN the columns are those four, the type padded to the widest documented type
    expect(formatPublishedLine(published)).toBe(
      '2026-01-05T10:00:01.250Z  connection.created            conn_abc123  msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
    );
  });

  it("marks a replay's copy, and shows - for a field the detail lacks", () => {
    // GIVEN a replayed copy, and an event without a connection
    const replayed = { ...published, detail: { ...(published.detail as object), replay: true } };
    const unknown = { ...published, detailType: 'realtime.new_thing', detail: { eventKey: 'k1' } };
    // THEN the replay says so; the missing connection id is a dash
    expect(formatPublishedLine(replayed)).toMatch(/ msg_2KWPBgLlAfxdpx2AI54pPJ85f4W {2}replay$/);
    expect(formatPublishedLine(unknown)).toBe(
      '2026-01-05T10:00:01.250Z  realtime.new_thing            -  k1',
    );
  });

  it('prints --json with the envelope names a rule target sees, and the whole detail', () => {
    expect(publishedJson(published)).toEqual({
      id: published.id,
      source: 'ofauth.realtime',
      'detail-type': 'connection.created',
      time: '2026-01-05T10:00:00.000Z',
      publishedAt: '2026-01-05T10:00:01.250Z',
      eventBusName: 'ofauth-local',
      detail: published.detail,
    });
  });

  it('fails for a deployed stack in one line that points to the rule-with-a-queue docs', async () => {
    // WHEN tail is asked for a stack THEN it refuses, asking nothing of AWS
    const { code, stderr } = await cli(['tail', '--stack', 'OFAuthWebhookReceiver', '--region', 'eu-west-1']);
    expect(code).toBe(1);
    expect(stderr).toBe(`error: ${NO_DEPLOYED_TAIL}\n`);
    expect(stderr).toContain('docs/use-as-a-library.md#subscribing-on-eventbridge');
  });

  it('fails when no local pipeline runs, saying what to start', async () => {
    const { code, stderr } = await cli(['tail']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/no local pipeline is running.*npm start/);
  });

  it('rejects a --limit that is not a whole number above 0', async () => {
    const { code, stderr } = await cli(['tail', '--limit', '0']);
    expect(code).toBe(2);
    expect(stderr).toContain('--limit must be a whole number between 1 and');
  });
});

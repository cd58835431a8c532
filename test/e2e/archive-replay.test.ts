/**
 * Archive → replay, end to end on the local pipeline: deliveries over HTTP are archived by the
 * processor (into fauxqs's S3), then `npm run cli -- replay --since <t> --yes`, finding the
 * pipeline through its state file as it finds `npm start`, puts exactly that window back on the
 * queue; handlers see each event again, marked `replay`, in the original order per connection,
 * and the registry keeps its newest state: each connection has a newer event, received after the
 * window, that the replayed older ones must not roll back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../cli/index.ts';
import type { LocalPipeline } from '../../local/pipeline.ts';
import { LOCAL_STATE_FILE_ENV_VAR, writeLocalState } from '../../local/state.ts';
import { connectionEvent } from '../fixtures/events.ts';
import { captureIo } from '../support/cli-io.ts';
import {
  connectionItem,
  deliver,
  eventually,
  type HandledEvent,
  startRecordingPipeline,
  uniqueConnectionId,
} from './pipeline-support.ts';

const CONNECTIONS = 20;
const EVENTS_PER_CONNECTION = 5;

let pipeline: LocalPipeline;
let stateDir: string;
let seen: HandledEvent[] = [];
/** The step a delivery wrote into the connection's first permission (`step:<n>`, `newer:<n>`). */
const stepOf = (handled: HandledEvent) => handled.permissions?.[0];

beforeAll(async () => {
  // GIVEN the local pipeline with the default handlers, recording what each saw
  ({ pipeline, handled: seen } = await startRecordingPipeline());
  // AND its state file, where the CLI finds a running pipeline (npm start writes the same)
  stateDir = mkdtempSync(join(tmpdir(), 'ofauth-replay-'));
  process.env[LOCAL_STATE_FILE_ENV_VAR] = join(stateDir, 'pipeline.json');
  await writeLocalState({
    url: pipeline.url,
    port: pipeline.port,
    pid: process.pid,
    region: 'us-east-1',
    endpoints: {
      dynamodb: pipeline.endpoints.dynamodb,
      sqs: pipeline.endpoints.sqs,
      archive: pipeline.endpoints.archive!,
    },
    resources: { ...pipeline.resources, archive: pipeline.resources.archive! },
    startedAt: new Date().toISOString(),
  });
}, 60_000);

afterAll(async () => {
  await pipeline?.stop();
  delete process.env[LOCAL_STATE_FILE_ENV_VAR];
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

/** Delivers `count` updates of a connection one after the other (as OFAuth does per connection). */
async function deliverSteps(
  connectionId: string,
  label: string,
  count: number,
  base: number,
): Promise<number[]> {
  const statuses: number[] = [];
  for (let step = 0; step < count; step++) {
    const event = connectionEvent('connection.updated', {
      connectionId,
      timestamp: new Date(base + step * 1000).toISOString(),
      permissions: [`${label}:${step}`],
    });
    statuses.push((await deliver(pipeline, event)).status);
  }
  return statuses;
}

it('replays exactly the window, in the original order per connection across 20 connections, marked replay', async () => {
  // GIVEN events delivered before the window (they must not be replayed)
  const connections = Array.from({ length: CONNECTIONS }, (_, i) => uniqueConnectionId(`replay${i}`));
  const base = Date.now() - 3_600_000;
  expect(await deliverSteps(connections[0]!, 'before', 2, base - 60_000)).toEqual([202, 202]);
  await eventually(() => (seen.length >= 2 ? true : undefined), 15_000, 'the events before the window');
  await new Promise((wake) => setTimeout(wake, 20));
  const since = new Date();
  // AND 20 connections × 5 updates delivered in the window, connections at once
  const statuses = await Promise.all(
    connections.map((id) => deliverSteps(id, 'step', EVENTS_PER_CONNECTION, base)),
  );
  expect(statuses.flat()).toEqual(Array(CONNECTIONS * EVENTS_PER_CONNECTION).fill(202));
  const inWindow = CONNECTIONS * EVENTS_PER_CONNECTION;
  await eventually(
    () =>
      seen.filter((s) => !s.replay && stepOf(s)?.startsWith('step')).length >= inWindow ? true : undefined,
    60_000,
    'the 100 events processed once',
  );
  const original = (id: string) =>
    seen.filter((s) => !s.replay && s.connectionId === id && stepOf(s)?.startsWith('step'));
  await new Promise((wake) => setTimeout(wake, 20));
  const until = new Date();
  await new Promise((wake) => setTimeout(wake, 20));
  // AND after the window, a newer update of each connection: the state the replay must keep
  const newer = await Promise.all(
    connections.map((id) => deliverSteps(id, 'newer', 1, base + EVENTS_PER_CONNECTION * 1000)),
  );
  expect(newer.flat()).toEqual(Array(CONNECTIONS).fill(202));
  await eventually(
    () => (seen.filter((s) => stepOf(s)?.startsWith('newer')).length >= CONNECTIONS ? true : undefined),
    30_000,
    'the newer events processed',
  );
  const registryBefore = await Promise.all(connections.map((id) => connectionItem(pipeline, id)));

  // WHEN the window, older than every connection's state, is replayed with the CLI, as a user
  // would against npm start
  const cli = captureIo({ env: process.env });
  const started = performance.now();
  const code = await runCli(
    ['replay', '--since', since.toISOString(), '--until', until.toISOString(), '--yes'],
    cli.io,
  );
  const sentInMs = performance.now() - started;

  // THEN it sent exactly the 100 events of the window
  expect({ code, stderr: cli.err() }).toEqual({ code: 0, stderr: '' });
  expect(cli.out()).toContain(
    `${inWindow} event(s) received from ${since.toISOString()} to ${until.toISOString()}`,
  );
  expect(cli.out()).toMatch(new RegExp(`replayed ${inWindow} of ${inWindow} event\\(s\\) to `));
  await eventually(
    () => (seen.filter((s) => s.replay).length >= inWindow ? true : undefined),
    60_000,
    'the 100 replays processed',
  );
  await new Promise((wake) => setTimeout(wake, 1500));
  const replays = seen.filter((s) => s.replay);
  expect(replays).toHaveLength(inWindow);
  expect(replays.filter((s) => !stepOf(s)?.startsWith('step'))).toEqual([]);
  // AND each connection's replays came in the original order, with the original ids and receipt times
  for (const id of connections) {
    const again = replays.filter((s) => s.connectionId === id);
    expect(again.map((s) => stepOf(s))).toEqual(
      Array.from({ length: EVENTS_PER_CONNECTION }, (_, step) => `step:${step}`),
    );
    expect(again.map((s) => [s.eventId, s.receivedAt])).toEqual(
      original(id).map((s) => [s.eventId, s.receivedAt]),
    );
  }
  // AND the registry still holds each connection's newer event: the replay rolled nothing back
  const registryAfter = await Promise.all(connections.map((id) => connectionItem(pipeline, id)));
  expect(registryBefore.map((item) => item?.permissions)).toEqual(Array(CONNECTIONS).fill(['newer:0']));
  expect(registryAfter.map((item) => [item?.permissions, item?.lastEventId])).toEqual(
    registryBefore.map((item) => [item?.permissions, item?.lastEventId]),
  );
  process.stderr.write(`replay of ${inWindow} events: read and sent in ${Math.round(sentInMs)} ms\n`);
}, 120_000);

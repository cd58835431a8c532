/**
 * `npm run cli -- tail` as a child process against a running local pipeline, found as `npm start`
 * lets it be found (a state file of this test's own, named by `OFAUTH_LOCAL_STATE_FILE`): it
 * prints what the processor publishes to the recording bus as it is published, and ends when the
 * bus goes away.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatPublishedLine } from '../../cli/tail.ts';
import { REPO_ROOT } from '../../dev/signing-secrets.ts';
import { startLocalEventBus } from '../../local/event-bus.ts';
import type { LocalPipeline } from '../../local/pipeline.ts';
import { writeLocalState } from '../../local/state.ts';
import { connectionEvent } from '../fixtures/events.ts';
import { deliver, eventually, startTestPipeline, uniqueConnectionId } from './pipeline-support.ts';

/** A running `tail`, its output so far and how it ended. */
interface Tail {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number | NodeJS.Signals | null>;
}

/** Runs the CLI as `npm run cli` does (`node --import tsx cli/index.ts`), with `stateFile` to find the pipeline. */
function tail(args: string[], stateFile: string): Tail {
  const child = spawn(
    process.execPath,
    ['--import', './local/require-node.mjs', '--import', 'tsx', 'cli/index.ts', 'tail', ...args],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, OFAUTH_LOCAL_STATE_FILE: stateFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | NodeJS.Signals | null>((done) =>
    child.once('exit', (code, signal) => done(code ?? signal)),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Resolves once the tail says it follows the bus (it prints only what is published from then). */
async function following(running: Tail): Promise<true> {
  try {
    return await eventually(
      () => (running.stderr().includes('following the event bus') ? true : undefined),
      30_000,
      'tail to follow the bus',
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; its stderr: ${running.stderr()}`);
  }
}

describe('npm run cli -- tail', () => {
  let pipeline: LocalPipeline;
  let dir: string;
  let stateFile: string;
  const running: Tail[] = [];

  beforeAll(async () => {
    // GIVEN a local pipeline that describes itself in a state file, as `npm start` does
    pipeline = await startTestPipeline();
    dir = await mkdtemp(join(tmpdir(), 'ofauth-cli-tail-'));
    stateFile = join(dir, 'pipeline.json');
    await writeLocalState(pipeline.state, stateFile);
  });

  afterAll(async () => {
    for (const { child } of running) if (child.exitCode === null) child.kill();
    await pipeline?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('prints each event as it is published, one JSON object a line, and stops after --limit', async () => {
    // GIVEN a tail following the bus
    const json = tail(['--json', '--limit', '2'], stateFile);
    running.push(json);
    await following(json);

    // WHEN two events of one connection are delivered
    const connectionId = uniqueConnectionId('tail');
    const created = await deliver(pipeline, connectionEvent('connection.created', { connectionId }));
    const updated = await deliver(pipeline, connectionEvent('connection.updated', { connectionId }));
    expect([created.status, updated.status]).toEqual([202, 202]);

    // THEN it prints both as published, in order, and exits 0
    expect(await json.exited).toBe(0);
    const lines = json
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual([
      expect.objectContaining({
        source: 'ofauth.realtime',
        'detail-type': 'connection.created',
        detail: expect.objectContaining({ connectionId, eventKey: expect.any(String) }),
      }),
      expect.objectContaining({
        source: 'ofauth.realtime',
        'detail-type': 'connection.updated',
        detail: expect.objectContaining({ connectionId }),
      }),
    ]);
    // AND each is what the bus recorded, no more
    const recorded = pipeline.eventBus.events.filter(
      (event) => (event.detail as { connectionId?: string }).connectionId === connectionId,
    );
    expect(lines.map((line) => line.id)).toEqual(recorded.map((event) => event.id));
  }, 60_000);

  it('prints the events already published since --since as terminal lines, then follows', async () => {
    // GIVEN an event published before the tail starts
    const connectionId = uniqueConnectionId('tail-since');
    await deliver(pipeline, connectionEvent('connection.created', { connectionId }));
    const earlier = await eventually(
      () =>
        pipeline.eventBus.events.find(
          (event) => (event.detail as { connectionId?: string }).connectionId === connectionId,
        ),
      15_000,
      'the earlier event on the bus',
    );

    // WHEN a tail starts with --since and one more event is published
    // (every event of this suite's pipeline was published less than 10 minutes ago)
    const held = pipeline.eventBus.events.length;
    const lines = tail(['--since', '10m', '--limit', String(held + 1)], stateFile);
    running.push(lines);
    await following(lines);
    await deliver(pipeline, connectionEvent('connection.updated', { connectionId }));

    // THEN it printed the held ones, the earlier one among them, then the new one, as lines
    expect(await lines.exited).toBe(0);
    const printed = lines.stdout().trim().split('\n');
    expect(printed).toHaveLength(held + 1);
    expect(printed).toContain(formatPublishedLine(earlier));
    expect(printed.at(-1)).toMatch(new RegExp(`  connection\\.updated +${connectionId}  `));
  }, 60_000);

  it('fails with a clear line when the bus it follows stops', async () => {
    // GIVEN a tail following a bus of its own (not the shared pipeline's)
    const bus = await startLocalEventBus();
    const ownState = join(dir, 'stopping.json');
    await writeLocalState(
      { ...pipeline.state, endpoints: { ...pipeline.state.endpoints, eventBus: bus.endpoint } },
      ownState,
    );
    const stopping = tail([], ownState);
    running.push(stopping);
    await following(stopping);

    // WHEN the bus stops (npm start was stopped)
    await bus.stop();

    // THEN the tail exits 1 saying so
    expect(await stopping.exited).toBe(1);
    expect(stopping.stderr()).toContain("error: the local pipeline's event bus");
    expect(stopping.stderr()).toContain('stopped answering: was `npm start` stopped?');
  }, 60_000);
});

/**
 * The CLI against a running local pipeline, found as `npm start` lets it be found: through the
 * state file (here a file of this test's own, named by `OFAUTH_LOCAL_STATE_FILE`). `status` and
 * `redrive` need no flag; `send` explains what a newcomer would otherwise have to work out.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../cli/index.ts';
import type { CliIo } from '../../dev/errors.ts';
import { defaultHandlers } from '../../lambda/processor/default-handlers/index.ts';
import type { EventHandler } from '../../lambda/processor/router.ts';
import { freePort } from '../../local/emulators/ports.ts';
import type { LocalPipeline } from '../../local/pipeline.ts';
import { writeLocalState } from '../../local/state.ts';
import { connectionItem, eventually, startTestPipeline, uniqueConnectionId } from './pipeline-support.ts';

describe('the CLI against a running local pipeline', () => {
  let pipeline: LocalPipeline;
  let dir: string;
  let env: Record<string, string>;
  /** Connections whose `connection.created` handler fails, until removed. */
  const failing = new Set<string>();

  beforeAll(async () => {
    // GIVEN a local pipeline that describes itself in a state file, as `npm start` does, whose
    // connection.created handler fails for chosen connections, and a DLQ after one receive
    const created: EventHandler = async (event, context) => {
      if (failing.has(event.connectionId ?? '')) throw new Error('failing on purpose');
      await (defaultHandlers['connection.created'] as EventHandler)(event, context);
    };
    pipeline = await startTestPipeline({
      maxReceiveCount: 1,
      visibilityTimeoutSeconds: 1,
      processor: (module) => module.createProcessorHandler({ handlers: { 'connection.created': created } }),
    });
    dir = await mkdtemp(join(tmpdir(), 'ofauth-cli-local-'));
    env = {
      OFAUTH_LOCAL_STATE_FILE: join(dir, 'pipeline.json'),
      OFAUTH_DEV_SECRET_FILE: join(dir, 'no-dev-secret'),
      OFAUTH_WEBHOOK_SECRET: pipeline.secrets.values[0]!,
    };
    await writeLocalState(pipeline.state, env.OFAUTH_LOCAL_STATE_FILE);
  });

  afterAll(async () => {
    await pipeline?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function cli(args: string[], extraEnv: Record<string, string> = {}) {
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text), isTTY: false },
      env: { ...env, ...extraEnv },
    };
    const code = await runCli(args, io);
    return { code, stdout, stderr };
  }

  /** The sent time of the one message on the dead-letter queue, from fauxqs's read-only inspection. */
  async function deadLetterSentAt(): Promise<number> {
    const name = new URL(pipeline.resources.deadLetterQueueUrl).pathname.split('/').at(-1)!;
    const response = await fetch(`${pipeline.endpoints.sqs}/_fauxqs/queues/${encodeURIComponent(name)}`);
    const { messages } = (await response.json()) as { messages: { ready: Array<{ sentTimestamp: number }> } };
    expect(messages.ready).toHaveLength(1);
    return messages.ready[0]!.sentTimestamp;
  }

  const send = (...args: string[]) => cli(['send', ...args, '--url', pipeline.url]);

  it('shows the status of the local queues with no flags, and redrives the dead letters back', async () => {
    // GIVEN an event whose handler fails, so that it lands on the dead-letter queue
    const connectionId = uniqueConnectionId('dlq');
    failing.add(connectionId);
    expect((await send('connection.created', '--connection', connectionId)).code).toBe(0);
    const before = await eventually(
      async () => {
        const status = await cli(['status', '--json']);
        const parsed = JSON.parse(status.stdout);
        return parsed.deadLetters === 1 ? parsed : undefined;
      },
      20_000,
      'the event on the dead-letter queue',
    );
    // WHEN `status` runs with no flags
    const status = await cli(['status']);
    // THEN it shows the local pipeline's queues, the dead letter and its age, read from the queue
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`local pipeline     ${pipeline.url}`);
    expect(status.stdout).toContain(`dead-letter queue  ${pipeline.resources.deadLetterQueueUrl}`);
    expect(status.stdout).toMatch(
      /messages {9}1\n {4}processor {6}1 {3}events it gave up on: fix the cause, then `redrive`/,
    );
    expect(status.stdout).toMatch(/oldest message {3}\d+ s {3}\(from the queue's messages\)/);
    expect(before).toMatchObject({ local: true, deadLetters: 1, queueUrl: pipeline.resources.queueUrl });
    // AND the age is the dead letter's own: from its sent time (read from fauxqs) to the reading
    const sentAt = await deadLetterSentAt();
    const readFrom = Date.now();
    const reading = JSON.parse((await cli(['status', '--json'])).stdout);
    const readUntil = Date.now();
    expect(reading.deadLetterOldestMessageAgeSeconds).toBeGreaterThanOrEqual((readFrom - sentAt) / 1000);
    expect(reading.deadLetterOldestMessageAgeSeconds).toBeLessThanOrEqual((readUntil - sentAt) / 1000);

    // WHEN the cause is fixed and `redrive` runs with no flags
    failing.delete(connectionId);
    const redrive = await cli(['redrive', '--yes']);
    // THEN the message moves back, is processed, and the dead-letter queue is empty
    expect(redrive.code).toBe(0);
    expect(redrive.stdout).toContain(
      `redrive  the local pipeline (npm start, pid ${pipeline.state.pid}, ${pipeline.url})`,
    );
    expect(redrive.stdout).toContain(
      'moved 1 message back to the event queue (1 on the dead-letter queue at the start)\n',
    );
    await eventually(() => connectionItem(pipeline, connectionId), 15_000, 'the redriven event processed');
    const after = JSON.parse((await cli(['status', '--json'])).stdout);
    expect(after).toMatchObject({ deadLetters: 0, oldestMessageAgeSeconds: null });
  }, 60_000);

  it('fails a 401 with a note on where the development secret is', async () => {
    // WHEN a delivery is signed with another secret than the pipeline's
    const { code, stdout, stderr } = await send(
      'connection.updated',
      '--secret',
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    );
    // THEN the answer is 401 and the note says which secret signed and which one npm start checks
    expect(code).toBe(1);
    expect(stdout).toContain('401 Unauthorized');
    expect(stderr).toContain('note: the signature was made with --secret;');
    expect(stderr).toContain(`its development secret, kept in ${env.OFAUTH_DEV_SECRET_FILE}`);
  });

  it('notes a connection event sent to a disconnected connection, which the processor ignores', async () => {
    // GIVEN a connection that was disconnected (a tombstone)
    const connectionId = uniqueConnectionId('gone');
    const first = await send('connection.disconnected', '--connection', connectionId);
    expect(first.stderr).toBe('');
    await eventually(
      async () =>
        (await connectionItem(pipeline, connectionId))?.status === 'disconnected' ? true : undefined,
      15_000,
      'the tombstone',
    );
    // WHEN another event of that connection is sent
    const { code, stdout, stderr } = await send('connection.created', '--connection', connectionId);
    // THEN it is accepted, and the CLI says that the processor will ignore it, and what to do
    expect(code).toBe(0);
    expect(stdout).toContain('202 Accepted');
    expect(stderr).toContain(`note: ${connectionId} was disconnected`);
    expect(stderr).toContain('Send with --connection <another id>');
  }, 30_000);

  it('fails a refused connection with a note naming the running pipeline', async () => {
    // WHEN sending to a port where nothing listens, while the pipeline runs elsewhere
    const port = await freePort();
    const { code, stderr } = await cli(['send', 'connection.created'], { PORT: String(port) });
    // THEN the error suggests PORT or --url, and the note names the pipeline's own
    expect(code).toBe(1);
    expect(stderr).toContain(
      'connection refused — is `npm start` running? If it runs on another port, set PORT',
    );
    expect(stderr).toContain(
      `note: \`npm start\` is running at ${pipeline.url}: set PORT=${pipeline.port} or pass --url ${pipeline.url}`,
    );
  });

  it('says so in the summary when --rate was not reached', async () => {
    // WHEN one request at a time cannot go out 2,000 times a second
    const { code, stdout } = await send(
      'rules.updated',
      '--count',
      '10',
      '--rate',
      '2000',
      '--concurrency',
      '1',
    );
    // THEN the summary says the rate was not reached, and why
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /rate: --rate 2000 was not reached: requests went out at \d+\/s with --concurrency 1/,
    );
  }, 30_000);

  it("redrives poison events once per run, and leaves the verifier's rejected body, counted apart", async () => {
    // GIVEN two signed connection.created events whose data fails the schema (connection.status 42),
    // which the processor puts on the dead-letter queue at once, and a signed body with no event type,
    // which the verifier keeps there
    const poison = join(dir, 'poison.json');
    const example = JSON.parse(await readFile('examples/events/connection.created.json', 'utf8'));
    example.data.connection.status = 42;
    await writeFile(poison, JSON.stringify(example));
    const typeless = join(dir, 'typeless.json');
    await writeFile(typeless, JSON.stringify({ data: { connection: { id: 'conn_typeless' } } }));
    for (const label of ['poison_a', 'poison_b']) {
      expect((await send(poison, '--connection', uniqueConnectionId(label))).code).toBe(0);
    }
    expect((await send(typeless)).stdout).toContain('422 Unprocessable Entity');
    const settled = async (processor: number) => {
      const status = JSON.parse((await cli(['status', '--json'])).stdout);
      return status.deadLetterKinds?.processor === processor && status.inFlight === 0 && status.waiting === 0
        ? status
        : undefined;
    };
    const before = await eventually(() => settled(2), 20_000, 'both poison events dead-lettered');
    expect(before).toMatchObject({
      deadLetters: 3,
      deadLetterKinds: { processor: 2, verifierRejections: 1 },
    });

    for (const run of [1, 2]) {
      // WHEN `redrive --yes` runs while the processor keeps rejecting them
      const redrive = await cli(['redrive', '--yes']);
      // THEN it ends, having moved each poison event once and skipped the verifier's body
      expect(redrive.code).toBe(0);
      expect(redrive.stdout).toMatch(
        /^moved 2 messages back to the event queue \(3 on the dead-letter queue at the start\); skipped 1 verifier rejection \(left on the dead-letter queue\)(; [12] returned \(dead-lettered again during the run, left there\))?$/m,
      );
      // and the processor puts both straight back, where the next run finds them
      await eventually(() => settled(2), 20_000, `both poison events dead-lettered again after run ${run}`);
    }
  }, 90_000);

  it("keeps a connection's client reference across sends, and says which one it used", async () => {
    // GIVEN a connection created with a client reference of our own
    const connectionId = uniqueConnectionId('ref');
    const created = await send(
      'connection.created',
      '--connection',
      connectionId,
      '--client-reference',
      'user_1',
    );
    expect(created.stdout).toContain(
      `  connection ${connectionId}, client reference user_1 (--client-reference)\n`,
    );
    await eventually(() => connectionItem(pipeline, connectionId), 15_000, 'the connection registered');
    // WHEN the next example of that connection is sent without --client-reference
    const updated = await send('connection.updated', '--connection', connectionId);
    // THEN the CLI says it kept the registry's, and the registry still holds user_1
    expect(updated.code).toBe(0);
    expect(updated.stdout).toContain(
      `  connection ${connectionId}, client reference user_1 (the connection registry's, kept; --client-reference sets another)\n`,
    );
    const item = await eventually(
      async () => {
        const record = await connectionItem(pipeline, connectionId);
        return record?.lastEventType === 'connection.updated' ? record : undefined;
      },
      15_000,
      'the update applied',
    );
    expect(item).toMatchObject({ clientReferenceId: 'user_1', status: 'active' });
    // AND a file of one's own is sent as written, saying so
    const file = await send('examples/events/connection.updated.json', '--connection', connectionId);
    expect(file.stdout).toContain(
      `  connection ${connectionId}, client reference user_456 (the payload's; --client-reference sets another)\n`,
    );
  }, 40_000);

  it('traces an event from its last failed attempt to its processing after a redrive', async () => {
    // GIVEN an event whose handler fails at its only receive, so that SQS moves it
    const connectionId = uniqueConnectionId('trace');
    failing.add(connectionId);
    expect((await send('connection.created', '--connection', connectionId)).code).toBe(0);
    // WHEN the connection's events are traced THEN the event is found through the archive, dead-lettered
    const [listed] = await eventually(
      async () => {
        const traced = JSON.parse(
          (await cli(['trace', '--connection', connectionId, '--since', '10m', '--json'])).stdout,
        );
        return traced[0]?.fate === 'dead-lettered' ? traced : undefined;
      },
      20_000,
      'the event traced as dead-lettered',
    );
    const eventKey = listed.eventKey as string;
    // AND `trace <key>` tells the story in text: one attempt, its error, moved after the last receive
    const story = await cli(['trace', eventKey]);
    expect(story.code).toBe(0);
    expect(story.stdout).toContain(`event ${eventKey} (connection.created, connection ${connectionId})`);
    expect(story.stdout).toMatch(/attempts {7}1,/);
    expect(story.stdout).toContain('last error     Error: failing on purpose');
    expect(story.stdout).toMatch(/dead-lettered {2}\S+ \(max_receive_count\)/);

    // WHEN the cause is fixed and the dead letter redriven
    failing.delete(connectionId);
    expect((await cli(['redrive', '--yes'])).code).toBe(0);
    // THEN the trace shows it processed at its second attempt, the error gone
    const done = await eventually(
      async () => {
        const traced = JSON.parse((await cli(['trace', eventKey, '--json'])).stdout);
        return traced.fate === 'processed' ? traced : undefined;
      },
      20_000,
      'the redriven event traced as processed',
    );
    expect(done.record).toMatchObject({ attempts: 2, deadLetterReason: 'max_receive_count' });
    expect(done.record).not.toHaveProperty('lastError');
  }, 60_000);
});

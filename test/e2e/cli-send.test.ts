import { runCli } from '../../cli/index.ts';
import type { CliIo } from '../../dev/errors.ts';
import type { LocalPipeline } from '../../local/pipeline.ts';
import { connectionItem, eventually, startTestPipeline, uniqueConnectionId } from './pipeline-support.ts';

describe('npm run cli -- send, against the local pipeline', () => {
  let pipeline: LocalPipeline;

  beforeAll(async () => {
    pipeline = await startTestPipeline();
  });

  afterAll(async () => {
    await pipeline?.stop();
  });

  async function send(...args: string[]) {
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text), isTTY: false },
      env: { OFAUTH_WEBHOOK_SECRET: pipeline.secrets.values[0] },
    };
    const code = await runCli(['send', ...args, '--url', pipeline.url], io);
    return { code, stdout, stderr };
  }

  it.each(['ofauth', 'svix'])(
    'sends a %s-signed example that is accepted and processed',
    async (scheme) => {
      // GIVEN a connection id and client reference of our own
      const connectionId = uniqueConnectionId(scheme);
      // WHEN the CLI sends the connection.created example with them
      const { code, stdout } = await send(
        'connection.created',
        '--scheme',
        scheme,
        '--connection',
        connectionId,
        '--client-reference',
        'user_cli',
      );
      // THEN it prints the status, latency and answer, exits 0, and the connection is registered
      expect(code).toBe(0);
      expect(stdout).toMatch(/202 Accepted in \d+(\.\d)? ms/);
      expect(stdout).toContain('"eventId"');
      const item = await eventually(
        () => connectionItem(pipeline, connectionId),
        15_000,
        'the connection registered',
      );
      expect(item).toMatchObject({ connectionId, clientReferenceId: 'user_cli', status: 'active' });
    },
    30_000,
  );

  it('rejects a tampered delivery: 401 invalid_signature, exit 1', async () => {
    const { code, stdout } = await send('connection.updated', '--tamper');
    expect(code).toBe(1);
    expect(stdout).toContain('401 Unauthorized');
    expect(stdout).toContain('invalid_signature');
  });

  it('rejects a stale delivery: 401 timestamp_out_of_tolerance, exit 1', async () => {
    const { code, stdout } = await send('connection.updated', '--stale', '--scheme', 'svix');
    expect(code).toBe(1);
    expect(stdout).toContain('401 Unauthorized');
    expect(stdout).toContain('timestamp_out_of_tolerance');
  });

  it('sends a paced load of distinct events and summarizes the answers', async () => {
    // WHEN 20 deliveries are sent at up to 100/s
    const started = Date.now();
    const { code, stdout, stderr } = await send('rules.updated', '--count', '20', '--rate', '100');
    // THEN each is a new event (202, none a duplicate), paced, with a latency summary and no
    // progress bar on a stderr that is not a terminal
    expect(code).toBe(0);
    expect(stdout).toContain('answers: 202 × 20');
    expect(stdout).toMatch(/latency: p50 .* ms, p95 .* ms, p99 .* ms, max .* ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(stderr).toBe('');
  }, 30_000);

  it('sends n SDK-shaped deliveries as n new events, not duplicates of the first', async () => {
    // GIVEN the SDK envelope (eventType/live, no timestamp) signed with OFAuth-Signature, whose
    // event key is a top-level id or else the body's hash
    // WHEN 5 are sent
    const { code, stdout } = await send('connection.updated', '--shape', 'sdk', '--count', '5');
    // THEN each is accepted as a new event (a duplicate would be answered 200)
    expect(code).toBe(0);
    expect(stdout).toContain('answers: 202 × 5');
  }, 30_000);

  it('sends the same event again with --keep-timestamp, which the verifier answers as a duplicate', async () => {
    // GIVEN an SDK-shaped event of a connection of our own, sent once as it is and processed
    // (before that, a copy within the claim's lease is answered 409 and one after it is sent again)
    const connectionId = uniqueConnectionId('replay');
    const args = ['connection.updated', '--shape', 'sdk', '--connection', connectionId, '--keep-timestamp'];
    const first = await send(...args);
    expect(first.stdout).toContain('202 Accepted');
    await eventually(() => connectionItem(pipeline, connectionId), 15_000, 'the first send processed');
    // WHEN it is sent again unchanged, as a replay of the same delivery
    const again = await send(...args);
    // THEN it is recognised as the same event
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('200 OK');
    expect(again.stdout).toContain('"duplicate": true');
  }, 30_000);
});

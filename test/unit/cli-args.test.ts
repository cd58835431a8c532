import { runCli } from '../../cli/index.ts';
import { rateNote } from '../../cli/send.ts';
import type { CliIo } from '../../dev/errors.ts';
import { freePort } from '../../local/emulators/ports.ts';

/** Runs the CLI in-process and captures what it writes. */
async function cli(args: string[], env: Record<string, string | undefined> = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    // Not a developer's running `npm start`: its state file would change what the CLI suggests.
    env: { OFAUTH_LOCAL_STATE_FILE: '/nonexistent/ofauth-pipeline.json', ...env },
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

const SECRET = { OFAUTH_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' };

describe('the CLI', () => {
  it('prints its help with the commands', async () => {
    // WHEN asked for help
    const { code, stdout } = await cli(['--help']);
    // THEN it lists every command and exits 0
    expect(code).toBe(0);
    for (const command of ['send', 'status', 'redrive']) expect(stdout).toContain(command);
    expect((await cli(['send', '--help'])).stdout).toContain('--scheme ofauth|svix');
    expect((await cli(['help', 'redrive'])).stdout).toContain('StartMessageMoveTask');
  });

  it.each([
    [[], /Usage/],
    [['deploy'], /unknown command "deploy"/],
    [['send'], /send needs an event type/],
    [['send', 'connection.created', 'rules.updated'], /send takes one event type or file, got 2/],
    [['send', 'payout.created'], /unknown event type "payout.created"; known types: .*connection.created/],
    [
      ['send', 'connection.create'],
      /unknown event type "connection.create"; did you mean connection.created\?/,
    ],
    [['send', 'disconnected'], /unknown event type "disconnected"; did you mean connection.disconnected\?/],
    [['send', 'rules-updated'], /did you mean rules.updated\?/],
    [['stauts'], /unknown command "stauts"; did you mean status\?/],
    [['send', 'missing/file.json'], /file not found: .*missing\/file.json/],
    [['send', 'connection.created', '--scheme', 'hmac'], /--scheme must be one of ofauth, svix, got "hmac"/],
    [['send', 'connection.created', '--shape', 'flat'], /--shape must be one of documented, sdk, got "flat"/],
    [
      ['send', 'connection.created', '--count', '0'],
      /--count must be a whole number between 1 and 1000000, got "0"/,
    ],
    [['send', 'connection.created', '--count', 'ten'], /--count must be a whole number/],
    [['send', 'connection.created', '--rate=-5'], /--rate must be a number above 0, got "-5"/],
    [['send', 'connection.created', '--url', 'not a url'], /--url must be an http\(s\) URL, got "not a url"/],
    [['send', 'connection.created', '--url', 'ftp://example.com/x'], /--url must be an http\(s\) URL/],
    [['send', 'connection.created', '--connection', ''], /--connection must not be empty/],
    [
      ['send', 'connection.created', '--frobnicate'],
      /^error: unknown option --frobnicate; options: --scheme, --url/,
    ],
    [
      ['send', 'connection.created', '--clinet-reference', 'user_1'],
      /^error: unknown option --clinet-reference; did you mean --client-reference\?\n/,
    ],
    [
      ['send', 'connection.created', '--conection=conn_1'],
      /^error: unknown option --conection; did you mean --connection\?\n/,
    ],
    [['status', '--jsno'], /^error: unknown option --jsno; did you mean --json\?\n/],
    [['redrive', '--stak', 'Mine'], /^error: unknown option --stak; did you mean --stack\?\n/],
    [['replay', '--since', '1h', '--dryrun'], /^error: unknown option --dryrun; did you mean --dry-run\?\n/],
    [['send', 'connection.created', '--count'], /^error: --count needs a value\n/],
    [
      ['send', 'connection.created', '--scheme', 'svix', '--secret', 'not base64!'],
      /--scheme svix needs a Svix secret/,
    ],
    [
      ['send', 'connection.created', '--scheme', 'svix', '--secret', 'hunter2'],
      /--scheme svix needs a Svix secret/,
    ],
    [['status', 'extra'], /unexpected argument: extra/],
    [['status', '--region', 'moon-1'], /--region must be an AWS region such as us-east-1, got "moon-1"/],
    [
      ['redrive', '--move-task', '--rate', '9000'],
      /--rate must be a whole number between 1 and 500, got "9000"/,
    ],
    [['redrive', '--rate', '10'], /--rate needs --move-task/],
    [
      ['redrive', '--export-rejected', 'x.jsonl', '--drop-rejected'],
      /give --export-rejected or --drop-rejected, not both/,
    ],
    [
      ['redrive', '--queue-url', 'queue', '--dead-letter-queue-url', 'dlq'],
      /--queue-url must be an SQS queue URL, got "queue"/,
    ],
  ])('rejects %j with a usage error (exit 2)', async (args, message) => {
    // WHEN the CLI gets a bad argument
    const { code, stdout, stderr } = await cli(args as string[], SECRET);
    // THEN it says what is wrong and exits 2, before sending anything
    expect(code).toBe(2);
    expect(stderr + stdout).toMatch(message);
    if (args[0] === 'send') expect(stdout).toBe('');
  });

  it('suggests nothing for a type that is no near miss', async () => {
    const { stderr } = await cli(['send', 'payout.created'], SECRET);
    expect(stderr).not.toContain('did you mean');
  });

  it('rejects a send to a deployed URL without a secret, naming where one comes from', async () => {
    // GIVEN no --secret and no OFAUTH_WEBHOOK_SECRET
    // WHEN sending to a non-local URL
    const { code, stderr } = await cli([
      'send',
      'connection.created',
      '--url',
      'https://example.com/webhooks/ofauth',
    ]);
    // THEN it exits 2 and names both ways to pass a secret
    expect(code).toBe(2);
    expect(stderr).toContain('no signing secret: pass --secret or set OFAUTH_WEBHOOK_SECRET');
  });

  it('fails with a clear message when the URL is unreachable (exit 1)', async () => {
    // GIVEN nothing listening on the port
    const port = await freePort();
    // WHEN sending there
    const { code, stderr } = await cli(
      ['send', 'connection.created', '--url', `http://127.0.0.1:${port}/webhooks/ofauth`],
      SECRET,
    );
    // THEN it explains and exits 1, suggesting PORT or --url for a pipeline on another port
    expect(code).toBe(1);
    expect(stderr).toContain(
      `could not reach http://127.0.0.1:${port}/webhooks/ofauth: connection refused — is \`npm start\` running? If it runs on another port, set PORT to that port (as for \`npm start\`) or pass --url with the webhook URL its banner prints`,
    );
  });

  it('fails to reach the local pipeline on $PORT, as `npm start` reads it, when no --url is given', async () => {
    // GIVEN PORT set as for `PORT=<port> npm start`, and nothing listening there
    const port = await freePort();
    // WHEN sending with no --url and no OFAUTH_WEBHOOK_URL
    const { code, stdout, stderr } = await cli(['send', 'connection.created'], {
      ...SECRET,
      PORT: String(port),
    });
    // THEN the default URL is the local pipeline's on that port (here: refused, exit 1)
    expect(code).toBe(1);
    expect(stdout).toContain(`POST http://127.0.0.1:${port}/webhooks/ofauth`);
    expect(stderr).toContain(`could not reach http://127.0.0.1:${port}/webhooks/ofauth: connection refused`);
  });

  it('rejects a PORT that is not a port number when the default URL needs it', async () => {
    // GIVEN PORT=abc and no --url
    const { code, stderr } = await cli(['send', 'connection.created'], { ...SECRET, PORT: 'abc' });
    // THEN it is a usage error naming the value and the way out
    expect(code).toBe(2);
    expect(stderr).toContain('PORT must be a port number between 0 and 65535, got "abc" (or pass --url)');
  });

  it('rejects a local send without a secret, naming the development secret file of $OFAUTH_DEV_SECRET_FILE', async () => {
    // GIVEN no secret anywhere: OFAUTH_DEV_SECRET_FILE names a file `npm start` has not written yet
    const port = await freePort();
    const file = `/nonexistent-${port}/dev-signing-secret`;
    // WHEN sending to the local pipeline
    const { code, stderr } = await cli(['send', 'connection.created'], {
      PORT: String(port),
      OFAUTH_DEV_SECRET_FILE: file,
    });
    // THEN it looked there (not in the repository's .local/) and says so
    expect(code).toBe(2);
    expect(stderr).toContain(`\`npm start\` keeps its development secret in ${file} once it has run`);
  });

  it('names only the command that exists: npm run cli --', async () => {
    // GIVEN the package has no `bin`, so `ofauth-webhooks` is not a command anyone can run
    for (const args of [['--help'], ['send', '--help'], ['status', '--help'], ['redrive', '--help']]) {
      // WHEN a help text is shown
      const { stdout } = await cli(args);
      // THEN it shows the command as `npm run cli -- …`
      expect(stdout).toMatch(/^Usage: npm run cli -- /);
      expect(stdout).not.toContain('ofauth-webhooks');
    }
  });

  it('says when a paced load did not go out at --rate, and why', () => {
    // GIVEN 11 requests at --rate 100 started 50 ms apart (20/s), 4 at a time, answered in 200 ms
    const outcomes = Array.from({ length: 11 }, (_, i) => ({ startedAt: 1000 + i * 50 }));
    const latencies = Array(11).fill(200);
    // THEN the note names the rate reached and what --concurrency lets through
    expect(rateNote({ rate: 100, concurrency: 4 }, outcomes, latencies)).toBe(
      'rate: --rate 100 was not reached: requests went out at 20/s with --concurrency 4 (4 at 200 ms each fit about 20/s); raise --concurrency, or the receiver is the limit',
    );
    // AND nothing is said when they went out at the rate, or when no rate was asked for
    const onTime = Array.from({ length: 11 }, (_, i) => ({ startedAt: 1000 + i * 10 }));
    expect(rateNote({ rate: 100, concurrency: 4 }, onTime, latencies)).toBeUndefined();
    expect(rateNote({ rate: undefined, concurrency: 4 }, outcomes, latencies)).toBeUndefined();
  });
});

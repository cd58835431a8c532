/**
 * The README's Quickstart, run as a user runs it: `npm start` in one terminal, `npm run cli --
 * send connection.created` in another, Ctrl-C, and `npm start` again. Two settings keep it from
 * meeting a developer's own pipeline or a parallel run, without changing what runs: `PORT` (read
 * by `npm start` and by the CLI's default URL alike) and `OFAUTH_DEV_SECRET_FILE` (where both
 * keep and find the development secret).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../local/emulators/ports.ts';
import { REPO_ROOT } from '../../local/signing-secrets.ts';
import { eventually } from './pipeline-support.ts';

const run = promisify(execFile);

/** A started `npm start`, its JSON log lines and its stderr. */
interface Started {
  readonly child: ChildProcess;
  readonly lines: Array<Record<string, unknown>>;
  readonly stderr: () => string;
  /** npm's exit code, or the signal that ended it. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
  /** Resolves once every process holding the output pipes (tsx, node, java) has let go of them. */
  readonly closed: Promise<void>;
}

/**
 * The environment of a user's shell: no secret and no URL of their own, this run's port and
 * secret file, and the Node running jest first on PATH (fauxqs needs Node 22.5+).
 */
function userEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
    POWERTOOLS_LOG_LEVEL: 'INFO',
    ...settings,
  };
  delete env.OFAUTH_WEBHOOK_SECRET;
  delete env.OFAUTH_WEBHOOK_URL;
  return env;
}

function npmStart(env: NodeJS.ProcessEnv): Started {
  // A process group of its own, as a terminal gives a foreground job: Ctrl-C signals all of it.
  const child = spawn('npm', ['start'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const lines: Array<Record<string, unknown>> = [];
  let pending = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const complete = pending.split('\n');
    pending = complete.pop() ?? '';
    for (const line of complete) {
      // npm's own "> package@version start" banner aside, every line must be JSON (JSON.parse
      // throws otherwise, and the test fails).
      if (line.trim() && !line.startsWith('> ')) lines.push(JSON.parse(line));
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | NodeJS.Signals | null>((done) =>
    child.once('exit', (code, signal) => done(code ?? signal)),
  );
  const closed = new Promise<void>((done) => child.once('close', () => done()));
  return { child, lines, stderr: () => stderr, exited, closed };
}

function ready(started: Started): Promise<Record<string, unknown>> {
  return eventually(
    () => started.lines.find((line) => line.message === 'local pipeline ready'),
    60_000,
    `the ready line (stderr: ${started.stderr()})`,
  );
}

/** Whether any process of the group is left. */
function groupIsAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

describe('npm start', () => {
  const groups: number[] = [];
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ofauth-quickstart-'));
  });

  afterEach(() => {
    // A failed test must not leave a pipeline (or its java) behind.
    for (const pgid of groups.splice(0)) {
      if (groupIsAlive(pgid)) process.kill(-pgid, 'SIGKILL');
    }
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function start(env: NodeJS.ProcessEnv): Started {
    const started = npmStart(env);
    groups.push(started.child.pid!);
    return started;
  }

  it('runs the Quickstart: a generated secret, a send with the defaults, Ctrl-C, and a second start', async () => {
    // GIVEN no OFAUTH_WEBHOOK_SECRET and no development secret yet
    const port = await freePort();
    const secretFile = join(dir, 'dev-signing-secret');
    const env = userEnv({ PORT: String(port), OFAUTH_DEV_SECRET_FILE: secretFile });

    // WHEN `npm start` runs
    const first = start(env);
    const firstReady = await ready(first);
    // THEN it generates a development secret, keeps it and prints it
    const secret = (await readFile(secretFile, 'utf8')).trim();
    expect(secret).toMatch(/^whsec_/);
    expect(first.stderr()).toContain(
      `development signing secret (generated now, kept in ${secretFile}):\n    ${secret}`,
    );
    expect(first.stderr()).toContain(`POST http://127.0.0.1:${port}/webhooks/ofauth`);
    // AND the link to the inspector, which serves its page
    expect(first.stderr()).toContain(`inspector     http://127.0.0.1:${port}/ `);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toContain(
      '<title>OFAuth webhook inspector</title>',
    );

    // WHEN the CLI sends the example with no --url and no --secret, as the Quickstart says
    const cli = await run('npm', ['run', 'cli', '--', 'send', 'connection.created'], { cwd: REPO_ROOT, env });
    // THEN the delivery is accepted and processed
    expect(cli.stdout).toContain(`POST http://127.0.0.1:${port}/webhooks/ofauth`);
    expect(cli.stdout).toContain('202 Accepted');
    const processed = await eventually(
      () => first.lines.find((line) => line.message === 'event processed'),
      20_000,
      'the "event processed" log line',
    );
    expect(processed).toMatchObject({ eventType: 'connection.created', connectionId: 'conn_abc123' });

    // WHEN Ctrl-C is pressed: SIGINT to the whole foreground group (npm, the shell, tsx, node)
    process.kill(-first.child.pid!, 'SIGINT');
    // THEN everything stops: npm ends at once (as in a terminal), the pipeline stops cleanly,
    // DynamoDB Local (java) and every other process of the group are gone, and the port is free
    expect([0, 'SIGINT']).toContain(await first.exited);
    await first.closed;
    expect(first.stderr()).toContain('SIGINT received: stopping the local pipeline');
    expect(first.stderr()).toMatch(/local pipeline stopped\n$/);
    expect(typeof firstReady.dynamodbPid).toBe('number');
    await eventually(
      () => (isRunning(firstReady.dynamodbPid as number) ? undefined : true),
      5000,
      'java to exit',
    );
    await eventually(() => (groupIsAlive(first.child.pid!) ? undefined : true), 5000, 'the group to exit');
    expect(await portIsFree(port)).toBe(true);

    // WHEN `npm start` runs again right away
    const second = start(env);
    const secondReady = await ready(second);
    // THEN it starts on the same port with the same secret, and answers
    expect(second.stderr()).toContain(
      `development signing secret (reused, kept in ${secretFile}):\n    ${secret}`,
    );
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

    // WHEN its process group gets SIGTERM (`kill -TERM -- -<pgid>`, as a container runtime does)
    process.kill(-second.child.pid!, 'SIGTERM');
    // THEN it stops everything too
    expect([0, 'SIGTERM']).toContain(await second.exited);
    await second.closed;
    expect(second.stderr()).toMatch(/local pipeline stopped\n$/);
    await eventually(
      () => (isRunning(secondReady.dynamodbPid as number) ? undefined : true),
      5000,
      'java to exit',
    );
    await eventually(() => (groupIsAlive(second.child.pid!) ? undefined : true), 5000, 'the group to exit');
  }, 110_000);

  it('fails with a clear message when the port is taken', async () => {
    // GIVEN a port that something else listens on
    const blocker = createServer();
    const port = await new Promise<number>((done) =>
      blocker.listen(0, '127.0.0.1', () => done((blocker.address() as { port: number }).port)),
    );
    try {
      // WHEN `npm start` is asked to use it
      const started = start(
        userEnv({ PORT: String(port), OFAUTH_DEV_SECRET_FILE: join(dir, 'busy-port-secret') }),
      );
      // THEN it exits 1 at once, naming the port and the way out
      expect(await started.exited).toBe(1);
      expect(started.stderr()).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(started.stderr()).toContain('set PORT');
    } finally {
      await new Promise((done) => blocker.close(done));
    }
  }, 30_000);
});

/**
 * The README's Quickstart, run as a user runs it: `npm start` in one terminal, `npm run cli --
 * send connection.created` in another, Ctrl-C, and `npm start` again; then the ways it can be
 * stopped. Three settings keep it from meeting a developer's own pipeline or a parallel run,
 * without changing what runs: `PORT` (read by `npm start` and by the CLI's default URL alike),
 * `OFAUTH_DEV_SECRET_FILE` (where both keep and find the development secret) and
 * `OFAUTH_LOCAL_STATE_FILE` (where `npm start` describes itself to the CLI's `status`).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../dev/signing-secrets.ts';
import { freePort } from '../../local/emulators/ports.ts';
import { isLoopback, listeningSocketsOfTree } from '../support/listening-sockets.ts';
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
 * The environment of a user's shell: no secret, no URL and no log level of their own (`npm start`'s
 * default level applies), this run's port and secret file, and the Node running jest first on PATH
 * (fauxqs needs Node 22.5+).
 */
function userEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
    ...settings,
  };
  delete env.OFAUTH_WEBHOOK_SECRET;
  delete env.OFAUTH_WEBHOOK_URL;
  delete env.POWERTOOLS_LOG_LEVEL;
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

/** Every process below `pid` (children, their children, …), from `ps`. */
async function descendants(pid: number): Promise<number[]> {
  const { stdout } = await run('ps', ['-A', '-o', 'pid=,ppid=']);
  const children = new Map<number, number[]>();
  for (const line of stdout.trim().split('\n')) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    children.set(parent!, [...(children.get(parent!) ?? []), child!]);
  }
  const found: number[] = [];
  const visit = (parent: number) => {
    for (const child of children.get(parent) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found;
}

/** The ports a ready pipeline listens on: the gateway's and the emulators'. */
function portsOf(ready: Record<string, unknown>): number[] {
  return [ready.url, ready.dynamodbEndpoint, ready.sqsEndpoint].map((url) =>
    Number(new URL(String(url)).port),
  );
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
    const stateFile = join(dir, 'quickstart-pipeline.json');
    const env = userEnv({
      PORT: String(port),
      OFAUTH_DEV_SECRET_FILE: secretFile,
      OFAUTH_LOCAL_STATE_FILE: stateFile,
    });

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
    // AND every table and the archive bucket, and, piped, that the logs are JSON lines
    for (const [label, table] of [
      ['event records', 'processed-events'],
      ['connections', 'connections'],
      ['ledger', 'ledger'],
    ])
      expect(first.stderr()).toMatch(new RegExp(`^ {4}${label} +ofauth-${table} `, 'm'));
    expect(first.stderr()).toContain(`archive       s3://ofauth-archive  on ${firstReady.sqsEndpoint}`);
    expect(first.stderr()).toContain('Logs below are JSON lines on stdout.');
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toContain(
      '<title>OFAuth webhook inspector</title>',
    );
    // AND it describes itself in the state file and on /healthz, alike
    const state = JSON.parse(await readFile(stateFile, 'utf8'));
    expect(state).toMatchObject({
      url: `http://127.0.0.1:${port}/webhooks/ofauth`,
      port,
      pid: firstReady.pid,
    });
    expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toEqual({
      status: 'ok',
      ...state,
    });

    // WHEN the CLI sends the example with no --url and no --secret, as the Quickstart says
    const cli = await run('npm', ['run', 'cli', '--', 'send', 'connection.created'], { cwd: REPO_ROOT, env });
    // THEN the delivery is accepted and processed, and at npm start's default level (DEBUG) the
    // success path's per-event lines show
    expect(cli.stdout).toContain(`POST http://127.0.0.1:${port}/webhooks/ofauth`);
    expect(cli.stdout).toContain('202 Accepted');
    const processed = await eventually(
      () => first.lines.find((line) => line.message === 'event processed'),
      20_000,
      'the "event processed" log line',
    );
    expect(processed).toMatchObject({
      level: 'DEBUG',
      eventType: 'connection.created',
      connectionId: 'conn_abc123',
    });
    // AND each function reports its first invocation as a cold start, in lean lines: the function's
    // name, ARN and memory size are its log stream's, not repeated on every line
    const handedOn = first.lines.find((line) => line.message === 'delivery handed on');
    expect(handedOn).toMatchObject({ service: 'ofauth-verifier', cold_start: true });
    expect(processed).toMatchObject({ service: 'ofauth-processor', cold_start: true });
    for (const line of [handedOn, processed]) expect(line).not.toHaveProperty('function_memory_size');

    // WHEN a tampered delivery is rejected
    await run('npm', ['run', 'cli', '--', 'send', 'connection.updated', '--tamper'], {
      cwd: REPO_ROOT,
      env,
    }).catch(() => undefined);
    // THEN its WARN line is JSON on stdout, like every log line, and stderr holds no log line
    const rejected = await eventually(
      () => first.lines.find((line) => line.message === 'delivery rejected'),
      10_000,
      'the "delivery rejected" log line on stdout',
    );
    expect(rejected).toMatchObject({ level: 'WARN', statusCode: 401, code: 'invalid_signature' });
    expect(first.stderr()).not.toMatch(/^\{/m);

    // WHEN the archived events of the last minutes are replayed with no flags but the window
    const replay = await run(
      'npm',
      ['run', 'cli', '--', 'replay', '--since', new Date(Date.now() - 10 * 60_000).toISOString(), '--yes'],
      { cwd: REPO_ROOT, env },
    );
    // THEN the created event is put back on the queue and processed again, marked as a replay
    expect(replay.stdout).toMatch(/replayed 1 of 1 event/);
    const replayed = await eventually(
      () =>
        first.lines.find(
          (line) =>
            line.message === 'event processed' && line.eventId === processed.eventId && line !== processed,
        ),
      20_000,
      'the replayed event\'s "event processed" line',
    );
    expect(replayed).toMatchObject({
      eventType: 'connection.created',
      connectionId: 'conn_abc123',
      replay: true,
    });

    // WHEN the CLI asks for the status with no flags at all
    const status = await run('npm', ['run', 'cli', '--', 'status'], { cwd: REPO_ROOT, env });
    // THEN it shows the local pipeline's queues
    expect(status.stdout).toContain(`local pipeline     http://127.0.0.1:${port}/webhooks/ofauth`);
    expect(status.stdout).toContain(`queue              ${state.resources.queueUrl}`);

    // WHEN Ctrl-C is pressed: SIGINT to the whole foreground group (npm and node)
    process.kill(-first.child.pid!, 'SIGINT');
    // THEN everything stops: npm ends at once (as in a terminal), the pipeline stops cleanly,
    // DynamoDB Local (java) and every other process of the group are gone, the port is free, and
    // the state file is removed
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
    expect(existsSync(stateFile)).toBe(false);

    // WHEN `npm start` runs again right away
    const second = start(env);
    await ready(second);
    // THEN it starts on the same port with the same secret, and answers
    expect(second.stderr()).toContain(
      `development signing secret (reused, kept in ${secretFile}):\n    ${secret}`,
    );
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  }, 110_000);

  it('prints one compact line per log line on a terminal, and Ctrl-C there stops it', async () => {
    // GIVEN `npm start` on a terminal (script(1) gives it one), and the CLI in another.
    // script(1) runs its command with `$SHELL -c`. Debian's /bin/sh (dash) does not exec a lone
    // command: it stays as npm's parent, takes the Ctrl-C itself and reports 130 whatever npm
    // returned. `exec` makes npm the terminal's process, as under an interactive shell, and SHELL is
    // pinned so that every machine runs the same thing.
    const port = await freePort();
    const env = userEnv({
      PORT: String(port),
      OFAUTH_DEV_SECRET_FILE: join(dir, 'terminal-secret'),
      OFAUTH_LOCAL_STATE_FILE: join(dir, 'terminal-pipeline.json'),
      SHELL: '/bin/sh',
    });
    const terminal = spawn('script', ['-qfec', 'exec npm start', '/dev/null'], {
      cwd: REPO_ROOT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    groups.push(terminal.pid!);
    let screen = '';
    terminal.stdout!.on('data', (chunk: Buffer) => (screen += chunk.toString().replaceAll('\r', '')));
    const exited = new Promise<number | null>((done) => terminal.once('exit', (code) => done(code)));
    await eventually(
      () => (screen.includes('local pipeline ready') ? true : undefined),
      60_000,
      'the ready line',
    );
    // WHEN an event is sent
    await run('npm', ['run', 'cli', '--', 'send', 'connection.created'], { cwd: REPO_ROOT, env });
    // THEN the terminal shows its hand-on and its processing as one line each, and no JSON line
    const processed = await eventually(
      () =>
        /^\d\d:\d\d:\d\d\.\d{3} DEBUG processor event processed {2}connection\.created conn_abc123 \S+ {2}.*lagMs=\d+/m.exec(
          screen,
        )?.[0],
      20_000,
      `the compact "event processed" line (screen: ${screen})`,
    );
    expect(processed).not.toContain('function_arn');
    expect(screen).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} DEBUG verifier {2}delivery handed on {2}connection\.created conn_abc123 /m,
    );
    expect(screen).toContain('Logs below: one line each (OFAUTH_LOG_FORMAT=json for JSON lines');
    expect(screen).not.toMatch(/^\{/m);
    // WHEN Ctrl-C is typed on that terminal
    terminal.stdin!.write('\x03');
    // THEN the pipeline stops cleanly
    expect(await exited).toBe(0);
    expect(screen).toContain('local pipeline stopped');
  }, 90_000);

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'stops everything on %s to the npm process alone: no process left, every port free',
    async (signal) => {
      // GIVEN a running `npm start` and every process below it
      const started = start(
        userEnv({
          PORT: '0',
          OFAUTH_DEV_SECRET_FILE: join(dir, 'signal-secret'),
          OFAUTH_LOCAL_STATE_FILE: join(dir, `signal-${signal}.json`),
        }),
      );
      const readyLine = await ready(started);
      const below = await descendants(started.child.pid!);
      expect(below).toEqual(expect.arrayContaining([readyLine.pid, readyLine.dynamodbPid]));
      // WHEN only npm's own pid gets the signal (`kill -TERM <pid>`, not the group)
      process.kill(started.child.pid!, signal);
      // THEN npm exits, and within a few seconds no process it started survives and every port is free
      await started.exited;
      await eventually(
        () => (below.some(isRunning) ? undefined : true),
        10_000,
        `every process below npm to exit (${below.filter(isRunning).join(', ')})`,
      );
      for (const port of portsOf(readyLine)) expect(await portIsFree(port)).toBe(true);
      expect(started.stderr()).toContain(`${signal} received: stopping the local pipeline`);
    },
    90_000,
  );

  it('listens on loopback only: every listening socket of its process tree is on 127.0.0.1 or ::1', async () => {
    // GIVEN a running `npm start`
    const started = start(
      userEnv({
        PORT: '0',
        OFAUTH_DEV_SECRET_FILE: join(dir, 'loopback-secret'),
        OFAUTH_LOCAL_STATE_FILE: join(dir, 'loopback.json'),
      }),
    );
    const readyLine = await ready(started);
    // WHEN the listening TCP sockets of npm and every process below it are read from /proc
    const sockets = await listeningSocketsOfTree(started.child.pid!);
    // THEN they include the gateway's and both emulators' (the search found them) ...
    expect(sockets.map((socket) => socket.port)).toEqual(expect.arrayContaining(portsOf(readyLine)));
    // AND not one of them is reachable from another machine
    expect(sockets.filter((socket) => !isLoopback(socket.address))).toEqual([]);
  }, 90_000);

  it('stops everything, exit 1, when DynamoDB Local is stopped under it', async () => {
    // GIVEN a running `npm start`
    const started = start(
      userEnv({
        PORT: '0',
        OFAUTH_DEV_SECRET_FILE: join(dir, 'java-secret'),
        OFAUTH_LOCAL_STATE_FILE: join(dir, 'java.json'),
      }),
    );
    const readyLine = await ready(started);
    // WHEN someone sends SIGTERM to its Java
    process.kill(readyLine.dynamodbPid as number, 'SIGTERM');
    // THEN the pipeline says so, stops, and npm exits 1 with nothing left behind
    expect(await started.exited).toBe(1);
    expect(started.stderr()).toMatch(
      /error: DynamoDB Local \(pid \d+\) exited .*: stopping the local pipeline/,
    );
    await eventually(() => (groupIsAlive(started.child.pid!) ? undefined : true), 5000, 'the group to exit');
  }, 90_000);

  it('leaves no Java behind when the node process is killed outright (SIGKILL)', async () => {
    // GIVEN a running `npm start`
    const started = start(
      userEnv({
        PORT: '0',
        OFAUTH_DEV_SECRET_FILE: join(dir, 'sigkill-secret'),
        OFAUTH_LOCAL_STATE_FILE: join(dir, 'sigkill.json'),
      }),
    );
    const readyLine = await ready(started);
    // WHEN its node process is killed with SIGKILL, which it cannot handle
    process.kill(readyLine.pid as number, 'SIGKILL');
    // THEN DynamoDB Local's Java exits by itself within 10 s, and npm with it
    await eventually(
      () => (isRunning(readyLine.dynamodbPid as number) ? undefined : true),
      10_000,
      'java to exit after its parent died',
    );
    await started.exited;
    await eventually(() => (groupIsAlive(started.child.pid!) ? undefined : true), 5000, 'the group to exit');
  }, 90_000);

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

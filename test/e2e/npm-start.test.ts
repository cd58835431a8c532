import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { generateSvixSecret } from '../../lambda/verifier/signature.ts';
import { freePort } from '../../local/emulators/ports.ts';
import { REPO_ROOT } from '../../local/signing-secrets.ts';
import { eventually } from './pipeline-support.ts';

const run = promisify(execFile);
const TSX = resolve(REPO_ROOT, 'node_modules', '.bin', 'tsx');

/** A started `local/start.ts`, its JSON log lines and its stderr. */
interface Started {
  readonly child: ChildProcess;
  readonly lines: Array<Record<string, unknown>>;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

function startLocal(env: Record<string, string>): Started {
  const child = spawn(TSX, ['local/start.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'INFO', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let pending = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const complete = pending.split('\n');
    pending = complete.pop() ?? '';
    for (const line of complete) {
      if (line.trim()) lines.push(JSON.parse(line));
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, lines, stderr: () => stderr, exited };
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
  let started: Started | undefined;

  afterEach(() => {
    if (started?.child.exitCode === null) started.child.kill('SIGKILL');
  });

  it('runs the pipeline, processes a delivery sent by the CLI, and stops every child on SIGTERM', async () => {
    // GIVEN `npm start` on a free port with a signing secret from the environment; every line on
    // stdout must be JSON (JSON.parse above throws otherwise)
    const port = await freePort();
    const secret = generateSvixSecret();
    started = startLocal({ PORT: String(port), OFAUTH_WEBHOOK_SECRET: secret });
    const ready = await eventually(
      () => started!.lines.find((line) => line.message === 'local pipeline ready'),
      60_000,
      `the ready line (stderr: ${started.stderr()})`,
    );
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(started.stderr()).toContain(`POST http://127.0.0.1:${port}/webhooks/ofauth`);

    // WHEN the CLI sends one delivery
    const cli = await run(
      TSX,
      [
        'cli/index.ts',
        'send',
        'connection.created',
        '--url',
        String(ready.url),
        '--connection',
        'conn_npm_start',
      ],
      { cwd: REPO_ROOT, env: { ...process.env, OFAUTH_WEBHOOK_SECRET: secret } },
    );
    // THEN it is accepted and the pipeline logs it as processed
    expect(cli.stdout).toContain('202 Accepted');
    const processed = await eventually(
      () => started!.lines.find((line) => line.message === 'event processed'),
      20_000,
      'the "event processed" log line',
    );
    expect(processed).toMatchObject({
      eventType: 'connection.created',
      connectionId: 'conn_npm_start',
      eventId: expect.any(String),
      eventTimestamp: expect.any(String),
    });

    // WHEN it gets SIGTERM
    started.child.kill('SIGTERM');
    // THEN it exits cleanly, DynamoDB Local (java) is gone and the port is free for a second start
    expect(await started.exited).toBe(0);
    expect(typeof ready.dynamodbPid).toBe('number');
    await eventually(() => (isRunning(ready.dynamodbPid as number) ? undefined : true), 5000, 'java to exit');
    expect(await portIsFree(port)).toBe(true);
  }, 100_000);

  it('fails with a clear message when the port is taken', async () => {
    // GIVEN a port that something else listens on
    const blocker = createServer();
    const port = await new Promise<number>((done) =>
      blocker.listen(0, '127.0.0.1', () => done((blocker.address() as { port: number }).port)),
    );
    try {
      // WHEN `npm start` is asked to use it
      started = startLocal({ PORT: String(port), OFAUTH_WEBHOOK_SECRET: generateSvixSecret() });
      // THEN it exits 1 at once, naming the port and the way out
      expect(await started.exited).toBe(1);
      expect(started.stderr()).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(started.stderr()).toContain('set PORT');
    } finally {
      await new Promise((done) => blocker.close(done));
    }
  }, 30_000);
});

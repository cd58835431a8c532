/**
 * DynamoDB Local, the emulator AWS publishes, run from the jar that the npm package
 * `amplify-dynamodb-simulator` ships. Its licence forbids redistribution, so it is fetched from the
 * npm registry into a git-ignored cache on first use and never committed. Needs Java 17+ (a JRE is
 * enough). It listens on 127.0.0.1 only (see `dynamodb-local-loopback.xml`).
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type FetchReporter, fetchPackageTarball } from './fetch-package.ts';
import { COMMAND_NOT_FOUND_EXIT_CODE, spawnTiedToParent } from './parent-watchdog.ts';
import { freePort, waitFor } from './ports.ts';

const run = promisify(execFile);

/** The npm package (pinned) whose tarball carries `emulator/DynamoDBLocal.jar`. */
export const DYNAMODB_LOCAL_PACKAGE = 'amplify-dynamodb-simulator@2.9.30';
/** The size of that package's tarball, for the download's progress line. */
export const DYNAMODB_LOCAL_TARBALL_BYTES = 56_573_501;

/** Where the jar is cached: `<repo>/.cache/dynamodb-local/<package>/`. */
export function dynamoDbLocalCacheDir(root = process.cwd()): string {
  return resolve(root, '.cache', 'dynamodb-local', DYNAMODB_LOCAL_PACKAGE.replace(/[@/]/g, '_'));
}

/**
 * Returns the folder holding `DynamoDBLocal.jar`, fetching it with `npm pack` when the cache is
 * empty (saying so on `report`, with progress on a terminal). The tarball is unpacked into a
 * temporary folder and renamed into place, so two processes fetching at once never see a
 * half-written cache.
 */
export async function ensureDynamoDbLocal(
  root = process.cwd(),
  report: FetchReporter = process.stderr,
): Promise<string> {
  const dir = dynamoDbLocalCacheDir(root);
  const jarDir = join(dir, 'emulator');
  if (existsSync(join(jarDir, 'DynamoDBLocal.jar'))) return jarDir;
  await mkdir(resolve(dir, '..'), { recursive: true });
  const staging = await mkdtemp(`${dir}.tmp-`);
  try {
    const tarball = await fetchPackageTarball(DYNAMODB_LOCAL_PACKAGE, staging, {
      label: 'DynamoDB Local',
      expectedBytes: DYNAMODB_LOCAL_TARBALL_BYTES,
      shownDestination: `${shortPath(resolve(dir, '..'))}/`,
      report,
    });
    await run('tar', ['-xzf', tarball, '--strip-components=1'], { cwd: staging });
    await rm(join(staging, tarball));
    try {
      await rename(staging, dir);
    } catch (error) {
      // Another process won the race; its copy is as good as ours.
      if (!existsSync(join(jarDir, 'DynamoDBLocal.jar'))) throw error;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return jarDir;
}

/**
 * The JVM's options. The emulator lives for minutes, not days, on a laptop or a 2-core CI runner:
 * the C1 compiler alone and the serial collector spend far less CPU warming up than the default
 * tiered C2 compilation and parallel GC threads (measured: about half the Java CPU per event,
 * see docs/performance.md).
 */
const JAVA_OPTIONS = ['-Xms64m', '-Xmx512m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];

/**
 * Starts DynamoDB Local in memory, shared across credentials and regions, without telemetry, on
 * 127.0.0.1 only (its own main has no bind address and listens on every interface).
 */
const LOOPBACK_LAUNCHER = fileURLToPath(new URL('./dynamodb-local-loopback.xml', import.meta.url));

/**
 * The logging settings DynamoDB Local's main sets before Jetty starts: without them, Jetty logs its
 * start-up at INFO.
 */
const QUIET_JETTY = ['-Dorg.eclipse.jetty.util.log.announce=false', '-Dorg.eclipse.jetty.LEVEL=WARN'];

/** A path relative to the working folder when it lies inside it, else absolute. */
function shortPath(path: string): string {
  const inside = relative(process.cwd(), path);
  return inside && !inside.startsWith('..') ? inside : path;
}

/** A running DynamoDB Local. */
export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  /** The Java process. It ends by itself when this process dies (see `parent-watchdog.ts`). */
  readonly process: ChildProcess;
  /** Resolves when Java exits, whoever stopped it, with its exit code or signal. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
  stop(): Promise<void>;
}

/**
 * Starts DynamoDB Local in memory on `port` (a free one by default) and waits until it answers.
 *
 * @example
 * const ddb = await startDynamoDbLocal();
 * const client = new DynamoDBClient({ endpoint: ddb.endpoint });
 * await ddb.stop();
 */
export async function startDynamoDbLocal(
  options: { port?: number; root?: string } = {},
): Promise<DynamoDbLocal> {
  const jarDir = await ensureDynamoDbLocal(options.root);
  const port = options.port ?? (await freePort());
  const child = spawnTiedToParent(
    'java',
    [
      ...JAVA_OPTIONS,
      ...QUIET_JETTY,
      `-Djava.library.path=${join(jarDir, 'DynamoDBLocal_lib')}`,
      // Not `-jar DynamoDBLocal.jar`: its main listens on every interface. Jetty's XmlConfiguration
      // (on the jar's class path) runs our launcher file, which starts the same server on 127.0.0.1.
      '-cp',
      join(jarDir, 'DynamoDBLocal.jar'),
      'org.eclipse.jetty.xml.XmlConfiguration',
      `port=${port}`,
      LOOPBACK_LAUNCHER,
    ],
    { cwd: jarDir },
  );
  const exited = new Promise<number | NodeJS.Signals | null>((done) =>
    child.once('exit', (code, signal) => done(code ?? signal)),
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const spawnFailure = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`could not start DynamoDB Local: ${error.message}`)));
    child.once('exit', (code) =>
      reject(
        code === COMMAND_NOT_FOUND_EXIT_CODE
          ? new Error('could not start DynamoDB Local: java not found (install Java 17+ and put it on PATH)')
          : new Error(`DynamoDB Local exited with code ${code} before it was ready:\n${output}`),
      ),
    );
  });
  spawnFailure.catch(() => {});
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([spawnFailure, waitFor(() => answersDynamoDb(endpoint), 30_000, 'DynamoDB Local')]);
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  return {
    endpoint,
    port,
    process: child,
    exited,
    stop: () => stopProcess(child),
  };
}

async function answersDynamoDb(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
        authorization:
          'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: '{}',
    });
    return response.ok;
  } catch {
    return false;
  }
}

/** Sends SIGTERM, then SIGKILL after a grace period, and resolves once the process has exited. */
export async function stopProcess(child: ChildProcess, graceMs = 3000): Promise<void> {
  // No pid: the process never started, and will never exit.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

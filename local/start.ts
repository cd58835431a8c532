/**
 * `npm start`: the whole receiver on this machine. Every log line goes to stdout: JSON into a pipe
 * or a file, one compact line each on a terminal (`log-to-stdout.ts`); the banner and hints go to
 * stderr, so `npm start --silent | jq` stays clean (`--silent` drops npm's own banner).
 *
 * Stopping: SIGINT (Ctrl-C), SIGTERM or SIGHUP stop everything, as does the death of the process
 * that started this one (npm) or of DynamoDB Local; DynamoDB Local's Java ends by itself when this
 * process dies, even by SIGKILL (`emulators/parent-watchdog.ts`). While it runs, the pipeline
 * describes itself in `.local/pipeline.json` (`state.ts`), where the CLI's `status` and `redrive`
 * find it.
 *
 * Environment: `PORT` (default 3000; the CLI's default URL follows it), `OFAUTH_WEBHOOK_SECRET`
 * (one or more secrets, comma or whitespace separated; when unset a development secret is
 * generated once and kept in `.local/dev-signing-secret`, or in `$OFAUTH_DEV_SECRET_FILE`, where
 * the CLI finds it too), `POWERTOOLS_LOG_LEVEL` (default DEBUG, so that each event's hand-on and
 * processing show; the deployed default INFO logs no line for a delivery that succeeds),
 * `OFAUTH_VERIFIER_ENVIRONMENTS` (default 8), `OFAUTH_LOG_FORMAT` (`json` or `compact`; default
 * compact on a terminal, else json).
 */

import {
  devSecretFile,
  loadOrCreateDevSecret,
  parseSecretList,
  SECRET_ENV_VAR,
} from '../dev/signing-secrets.ts';
import { POWERTOOLS_ENVIRONMENT } from '../lambda/shared/deployment-names.ts';
import { DEMO_FAILURE_PREFIX } from './demo-failures.ts';
import { PortInUseError } from './gateway.ts';
import { createInspector } from './inspector/index.ts';
import { InvalidPortError, localPort } from './local-port.ts';
import {
  compactLogLine,
  LOG_FORMAT_ENV_VAR,
  type LogFormat,
  logFormat,
  printAllLogsToStdout,
} from './log-to-stdout.ts';
import {
  DEFAULT_POLLERS,
  DEFAULT_VERIFIER_ENVIRONMENTS,
  LOCAL_VISIBILITY_TIMEOUT_SECONDS,
  type LocalPipeline,
  startLocalPipeline,
} from './pipeline.ts';
import { localStateFile, removeLocalState, writeLocalState } from './state.ts';
import { stopControl } from './stop-control.ts';

/** The environment variable that sets how many verifier execution environments run side by side. */
export const VERIFIER_ENVIRONMENTS_ENV_VAR = 'OFAUTH_VERIFIER_ENVIRONMENTS';

// DEBUG: at INFO a delivery that succeeds writes no line of its own, and a newcomer should see
// each event go by. Nothing else logs at DEBUG here (no Powertools debug output without sampling).
process.env[POWERTOOLS_ENVIRONMENT.logLevel] ??= 'DEBUG';

function fail(message: string, code: number): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(code);
}

/** JSON lines into a pipe (`npm start --silent | jq`), one compact line each on a terminal. */
function chosenLogFormat(): LogFormat {
  try {
    return logFormat(process.env[LOG_FORMAT_ENV_VAR], process.stdout.isTTY === true);
  } catch (error) {
    return fail((error as Error).message, 2);
  }
}

const LOG_FORMAT = chosenLogFormat();
printAllLogsToStdout(LOG_FORMAT);

function settings(): { port: number; verifierEnvironments: number } {
  let port: number;
  try {
    port = localPort(process.env.PORT);
  } catch (error) {
    if (!(error instanceof InvalidPortError)) throw error;
    fail(error.message, 2);
  }
  const raw = process.env[VERIFIER_ENVIRONMENTS_ENV_VAR]?.trim();
  const verifierEnvironments = raw ? Number(raw) : DEFAULT_VERIFIER_ENVIRONMENTS;
  if (!Number.isInteger(verifierEnvironments) || verifierEnvironments < 1 || verifierEnvironments > 64) {
    fail(`${VERIFIER_ENVIRONMENTS_ENV_VAR} must be a whole number from 1 to 64, got "${raw}"`, 2);
  }
  return { port, verifierEnvironments };
}

async function signingSecrets(): Promise<{ secrets: string[]; note: string }> {
  const secrets = parseSecretList(process.env[SECRET_ENV_VAR]);
  if (secrets.length > 0)
    return { secrets, note: `signing secrets: ${secrets.length} from ${SECRET_ENV_VAR}` };
  const file = devSecretFile();
  const dev = await loadOrCreateDevSecret(file);
  return {
    secrets: [dev.secret],
    note: `development signing secret (${dev.generated ? 'generated now' : 'reused'}, kept in ${file}):\n    ${dev.secret}`,
  };
}

/** Calls `onGone` once the process that started this one has exited (this one is re-parented). */
function watchParent(onGone: () => void): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, 1000);
  timer.unref();
}

/** Every table and the archive bucket, one line each, as the stack names them (`local/resources.ts`). */
function storageLines(pipeline: LocalPipeline): string[] {
  const { resources, endpoints } = pipeline;
  return [
    `  DynamoDB      ${endpoints.dynamodb}`,
    `    event records      ${resources.processedEventsTableName}   (one item per event key: received, attempts, fate)`,
    `    connections        ${resources.connectionsTableName}   (the registry and the Dynamic Rules)`,
    `    ledger             ${resources.ledgerTableName}   (unused since 1.0; kept, as the stack keeps it)`,
    resources.archive
      ? `  archive       s3://${resources.archive}  on ${endpoints.archive ?? endpoints.sqs}  (fauxqs's S3; every event, for replay)`
      : '  archive       off',
  ];
}

function banner(pipeline: LocalPipeline, secretNote: string, verifierEnvironments: number): string {
  const localUrl = `http://127.0.0.1:${pipeline.port}`;
  const cliUrl = pipeline.port === 3000 ? '' : ` --url ${pipeline.url}`;
  const logs =
    LOG_FORMAT === 'compact'
      ? `  Logs below: one line each (${LOG_FORMAT_ENV_VAR}=json for JSON lines; into a pipe they are JSON). Ctrl-C stops everything.`
      : '  Logs below are JSON lines on stdout. Ctrl-C stops everything.';
  return [
    '',
    '  OFAuth webhook receiver — local pipeline ready',
    '',
    `  webhook URL   POST ${pipeline.url}`,
    `  inspector     ${localUrl}/   (open in a browser: deliveries, their fate, connections, dead letters)`,
    `  health        GET  ${localUrl}/healthz`,
    `  functions     verifier: up to ${verifierEnvironments} execution environments side by side (${VERIFIER_ENVIRONMENTS_ENV_VAR}); processor: up to ${DEFAULT_POLLERS}`,
    ...storageLines(pipeline),
    `  SQS (fauxqs)  ${pipeline.endpoints.sqs}  (visibility timeout ${LOCAL_VISIBILITY_TIMEOUT_SECONDS} s)`,
    `  queue         ${pipeline.resources.queueUrl}`,
    `  dead letters  ${pipeline.resources.deadLetterQueueUrl}`,
    `  state file    ${localStateFile()}`,
    `  ${secretNote}`,
    '',
    '  Try it from a second terminal:',
    `    npm run cli -- send connection.created${cliUrl}`,
    `    npm run cli -- send rules.updated --scheme svix${cliUrl}`,
    `    npm run cli -- send connection.updated --tamper${cliUrl}    # rejected: 401`,
    `    npm run cli -- send connection.disconnected --connection conn_bye${cliUrl}   # a tombstone: later events of conn_bye are ignored`,
    `    npm run cli -- send connection.created --connection ${DEMO_FAILURE_PREFIX}1${cliUrl}   # fails on purpose: retries, then the dead-letter queue`,
    '    npm run cli -- status                                   # queue depth and dead letters',
    '',
    logs,
    '',
  ].join('\n');
}

function readyLine(pipeline: LocalPipeline): string {
  const line = {
    level: 'INFO',
    message: 'local pipeline ready',
    service: 'ofauth-local',
    timestamp: new Date().toISOString(),
    pid: process.pid,
    url: pipeline.url,
    port: pipeline.port,
    dynamodbEndpoint: pipeline.endpoints.dynamodb,
    sqsEndpoint: pipeline.endpoints.sqs,
    dynamodbPid: pipeline.endpoints.dynamodbPid,
    queueUrl: pipeline.resources.queueUrl,
    deadLetterQueueUrl: pipeline.resources.deadLetterQueueUrl,
    stateFile: localStateFile(),
  };
  return `${LOG_FORMAT === 'compact' ? compactLogLine(line) : JSON.stringify(line)}\n`;
}

async function main(): Promise<void> {
  const { port, verifierEnvironments } = settings();
  const { secrets, note } = await signingSecrets();
  // The inspector's page is served on the gateway's port, at `/`.
  const inspector = createInspector();
  const starting = startLocalPipeline({
    port,
    secrets,
    verifierEnvironments,
    observer: inspector.observer,
    routes: inspector.routes,
  });
  const control = stopControl({
    // A stop during start-up waits for the start to finish, so nothing it started is left behind.
    stopAll: () =>
      starting
        .then(
          (pipeline) => pipeline.stop(),
          () => undefined,
        )
        .then(() => control.stateWritten.catch(() => undefined))
        .then(() => removeLocalState()),
    relayedByNpm: process.env.npm_lifecycle_event !== undefined,
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, () => control.stop(`${signal} received`, 0, signal));
  // Not a forced exit when a stop is under way: npm itself exits on Ctrl-C before node has stopped.
  watchParent(() => control.requested || control.stop('the process that started npm start exited'));

  let pipeline: LocalPipeline;
  try {
    pipeline = await starting;
  } catch (error) {
    if (error instanceof PortInUseError) fail(error.message, 1);
    throw error;
  }
  if (control.requested) return;
  await inspector.attach(pipeline);
  pipeline.unexpectedExit.then((reason) => control.requested || control.stop(`error: ${reason}`, 1));
  control.stateWritten = writeLocalState(pipeline.state);
  await control.stateWritten;
  process.stderr.write(banner(pipeline, note, verifierEnvironments));
  process.stdout.write(readyLine(pipeline));
}

main().catch((error: unknown) => {
  fail(`the local pipeline could not start: ${error instanceof Error ? error.message : String(error)}`, 1);
});

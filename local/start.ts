/**
 * `npm start`: the whole receiver on this machine. Logs are JSON lines on stdout; the banner and
 * hints go to stderr, so `npm start --silent | jq` stays clean (`--silent` drops npm's own banner).
 *
 * Environment: `PORT` (default 3000; the CLI's default URL follows it), `OFAUTH_WEBHOOK_SECRET`
 * (one or more secrets, comma or whitespace separated; when unset a development secret is
 * generated once and kept in `.local/dev-signing-secret`, or in `$OFAUTH_DEV_SECRET_FILE`, where
 * the CLI finds it too), `POWERTOOLS_LOG_LEVEL` (default INFO).
 */

import { PortInUseError } from './gateway.ts';
import { createInspector } from './inspector/index.ts';
import { InvalidPortError, localPort } from './local-port.ts';
import { LOCAL_VISIBILITY_TIMEOUT_SECONDS, type LocalPipeline, startLocalPipeline } from './pipeline.ts';
import { devSecretFile, loadOrCreateDevSecret, parseSecretList, SECRET_ENV_VAR } from './signing-secrets.ts';

process.env.POWERTOOLS_LOG_LEVEL ??= 'INFO';

function parsePort(raw: string | undefined): number {
  try {
    return localPort(raw);
  } catch (error) {
    if (!(error instanceof InvalidPortError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const port = parsePort(process.env.PORT);
  let secrets = parseSecretList(process.env[SECRET_ENV_VAR]);
  let secretNote: string;
  if (secrets.length > 0) {
    secretNote = `signing secrets: ${secrets.length} from ${SECRET_ENV_VAR}`;
  } else {
    const file = devSecretFile();
    const dev = await loadOrCreateDevSecret(file);
    secrets = [dev.secret];
    secretNote = `development signing secret (${dev.generated ? 'generated now' : 'reused'}, kept in ${file}):\n    ${dev.secret}`;
  }

  // The inspector's page is served on the gateway's port, at `/`.
  const inspector = createInspector();
  const starting: Promise<LocalPipeline> = startLocalPipeline({
    port,
    secrets,
    observer: inspector.observer,
    routes: inspector.routes,
  });
  let stopping: Promise<void> | undefined;
  let firstSignalAt = 0;
  const shutdown = (signal: string) => {
    if (stopping) {
      // Ctrl-C reaches this process twice (from the terminal and relayed by tsx): only a later
      // press forces the exit. The exit handler below still kills the java child.
      if (Date.now() - firstSignalAt < 1000) return;
      process.stderr.write(`\n${signal} again: exiting now\n`);
      process.exit(130);
    }
    firstSignalAt = Date.now();
    process.stderr.write(`\n${signal} received: stopping the local pipeline…\n`);
    // A signal during start-up waits for the start to finish, so nothing it started is left behind.
    stopping = starting.then(
      (pipeline) => pipeline.stop(),
      () => undefined,
    );
    stopping.then(
      () => {
        process.stderr.write('local pipeline stopped\n');
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`could not stop cleanly: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  let started: LocalPipeline;
  try {
    started = await starting;
  } catch (error) {
    if (error instanceof PortInUseError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  // Should anything end this process abruptly, DynamoDB Local must not outlive it.
  process.on('exit', () => {
    if (started.endpoints.dynamodbPid) {
      try {
        process.kill(started.endpoints.dynamodbPid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  if (stopping) return;
  await inspector.attach(started);

  const localUrl = `http://127.0.0.1:${started.port}`;
  const cliUrl = started.port === 3000 ? '' : ` --url ${started.url}`;
  process.stderr.write(
    [
      '',
      '  OFAuth webhook receiver — local pipeline ready',
      '',
      `  inspector     ${localUrl}/   (open in a browser: deliveries, their fate, connections, dead letters)`,
      `  webhook URL   POST ${started.url}`,
      `  health        GET  ${localUrl}/healthz`,
      `  DynamoDB      ${started.endpoints.dynamodb}  (tables ${started.resources.ledgerTableName}, ${started.resources.connectionsTableName})`,
      `  SQS (fauxqs)  ${started.endpoints.sqs}  (visibility timeout ${LOCAL_VISIBILITY_TIMEOUT_SECONDS} s)`,
      `  queue         ${started.resources.queueUrl}`,
      `  dead letters  ${started.resources.deadLetterQueueUrl}`,
      `  ${secretNote}`,
      '',
      '  Try it from a second terminal:',
      `    npm run cli -- send connection.created${cliUrl}`,
      `    npm run cli -- send rules.updated --scheme svix${cliUrl}`,
      `    npm run cli -- send connection.updated --tamper${cliUrl}    # rejected: 401`,
      '',
      '  Logs below are JSON lines. Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
  process.stdout.write(
    `${JSON.stringify({
      level: 'INFO',
      message: 'local pipeline ready',
      service: 'ofauth-local',
      timestamp: new Date().toISOString(),
      url: started.url,
      port: started.port,
      dynamodbEndpoint: started.endpoints.dynamodb,
      sqsEndpoint: started.endpoints.sqs,
      dynamodbPid: started.endpoints.dynamodbPid,
      queueUrl: started.resources.queueUrl,
      deadLetterQueueUrl: started.resources.deadLetterQueueUrl,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `error: the local pipeline could not start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});

#!/usr/bin/env -S npx tsx
/**
 * The developer CLI, run from the repository with `npm run cli -- <command>` (the package has no
 * `bin`: it is an application to clone and deploy, not a tool to install).
 *
 * @example
 * npm run cli -- send connection.created
 * npm run cli -- send rules.updated --scheme svix --count 100 --rate 20
 * npm run cli -- status --stack OFAuthWebhookReceiver
 * npm run cli -- replay --since 3d --type connection.updated
 * npm run cli -- trace msg_2KWPBgLlAfxdpx2AI54pPJ85f4W
 * npm run cli -- tail --json
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { CliError, type CliIo, UsageError } from '../dev/errors.ts';
import { suggest } from '../dev/suggest.ts';
import { type AwsClients, defaultAwsClients, runStatus } from './queues.ts';
import { runRedrive } from './redrive.ts';
import { runReplay } from './replay.ts';
import { runSend } from './send.ts';
import { runTail } from './tail.ts';
import { runTrace } from './trace.ts';

export const HELP = `Usage: npm run cli -- <command> [options]   (from the repository's folder)

Commands:
  send <type|file.json>   sign a delivery and POST it to the local pipeline or a deployed stack
  status                  queue depth, in flight, oldest message age and dead letters by kind: of
                          the local pipeline of \`npm start\`, or of a stack named by --stack/--region
  redrive                 move the dead-letter queue's events back to the event queue, after a yes
                          (same choice; the verifier's rejected bodies stay)
  replay                  put archived events of a time window back on the queue, in order (same choice)
  trace <key | svix id>   what became of an event, from its record (received, attempts, processed,
                          dead-lettered, replayed); --connection ID --since T: a connection's recent
                          events (same choice)
  tail                    print each event the local pipeline publishes to its event bus, as it is
                          published (--json: one JSON object a line); follows until Ctrl-C
  help [command]          show help

Run \`npm run cli -- <command> --help\` for a command's options.

Examples:
  npm start                                         # first terminal: the local pipeline
  npm run cli -- send connection.created            # second terminal
  npm run cli -- send connection.created --connection conn_mine --client-reference user_1
  npm run cli -- send rules.updated --scheme svix
  npm run cli -- send connection.updated --count 500 --rate 50
  npm run cli -- send connection.created --tamper   # see a 401
  npm run cli -- send connection.created --url https://<api>.execute-api.<region>.amazonaws.com/webhooks/ofauth
  npm run cli -- status                             # the local pipeline's queues
  npm run cli -- status --stack OFAuthWebhookReceiver --region eu-west-1
  npm run cli -- redrive                           # asks first; --yes in a script
  npm run cli -- replay --since 6h --type connection.updated --dry-run
  npm run cli -- trace msg_2KWPBgLlAfxdpx2AI54pPJ85f4W
  npm run cli -- trace --connection conn_mine --since 1h --json
  npm run cli -- tail                               # the local bus, as events are published`;

const COMMANDS: Record<string, (args: string[], io: CliIo, clients: AwsClients) => Promise<number>> = {
  send: (args, io) => runSend(args, io),
  status: runStatus,
  redrive: (args, io, clients) => runRedrive(args, io, clients),
  replay: (args, io) => runReplay(args, io),
  trace: (args, io) => runTrace(args, io),
  tail: (args, io) => runTail(args, io),
};

/**
 * Runs the CLI with `argv` (without `node` and the script) and returns the exit code: 0 success,
 * 1 failure, 2 usage error.
 */
export async function runCli(
  argv: string[],
  io: CliIo,
  clients: AwsClients = defaultAwsClients,
): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h') {
      io.stdout.write(`${HELP}\n`);
      return command === undefined ? 2 : 0;
    }
    if (command === 'help') {
      const topic = rest[0];
      if (topic === undefined) {
        io.stdout.write(`${HELP}\n`);
        return 0;
      }
      if (!COMMANDS[topic]) throw new UsageError(`unknown command "${topic}"`);
      return await COMMANDS[topic](['--help'], io, clients);
    }
    const run = COMMANDS[command];
    if (!run) {
      const guess = suggest(command, Object.keys(COMMANDS));
      throw new UsageError(
        `unknown command "${command}"${guess ? `; did you mean ${guess}?` : ''}; commands: ${Object.keys(COMMANDS).join(', ')}`,
      );
    }
    return await run(rest, io, clients);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`error: ${error.message}\nRun with --help for usage.\n`);
      return error.exitCode;
    }
    if (error instanceof CliError) {
      io.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

function isEntryPoint(): boolean {
  try {
    // realpath: argv[1] may reach this file through a symlinked folder.
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1] ?? '')).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const code = await runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  });
  process.exitCode = code;
}

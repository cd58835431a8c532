/**
 * `send <type|file.json>`: signs a delivery and POSTs it to the local pipeline or a deployed
 * stack; with `--count`, a paced load with a progress bar and a latency summary.
 */
import { parseArgs } from 'node:util';
import {
  asNewEvent,
  clientReferenceOf,
  exampleTypes,
  loadPayload,
  payloadType,
  rewritePayload,
  SCHEMES,
  type Scheme,
  SHAPES,
  type Shape,
  signDelivery,
} from '../dev/deliveries.ts';
import { type CliIo, positiveInteger, positiveNumber, UsageError } from '../dev/errors.ts';
import {
  DEV_SECRET_FILE_ENV_VAR,
  devSecretFile,
  parseSecretList,
  readDevSecret,
  SECRET_ENV_VAR,
} from '../dev/signing-secrets.ts';
import type { ConnectionRecord } from '../lambda/processor/connections.ts';
import {
  DEFAULT_LOCAL_PORT,
  InvalidPortError,
  localPort,
  localWebhookUrl,
  PORT_ENV_VAR,
} from '../local/local-port.ts';
import { parseArgsUsageError } from './args.ts';
import { findLocalPipeline, isLocalPipelineUrl, localDynamoDbConfig } from './local-pipeline.ts';
import { ProgressBar } from './progress.ts';

/** Where `send` posts by default: the local pipeline of `npm start` (on `$PORT` when set). */
export const DEFAULT_URL = localWebhookUrl(DEFAULT_LOCAL_PORT);
/** The environment variable that overrides the default URL, e.g. a deployed stack's. */
export const URL_ENV_VAR = 'OFAUTH_WEBHOOK_URL';

export const SEND_HELP = `Usage: npm run cli -- send <type|file.json> [options]

Signs an OFAuth delivery and POSTs it. <type> is one of the documented example payloads
(connection.created, connection.updated, connection.expired, connection.disconnected,
rules.updated, of.websocket.event.received, realtime.chat_typing.updated), or a path to a
JSON file holding an envelope.

Options:
  --scheme ofauth|svix        signature scheme (default: ofauth, the OFAuth-Signature header)
  --url <url>                 where to POST (default: $${URL_ENV_VAR}, else the local pipeline:
                              ${DEFAULT_URL}, on $${PORT_ENV_VAR} when set, as for \`npm start\`)
  --secret <secret>           signing secret (default: the first of $${SECRET_ENV_VAR}, else the
                              development secret of \`npm start\` for a local URL, read from
                              .local/dev-signing-secret or $${DEV_SECRET_FILE_ENV_VAR})
  --connection <id>           set data.connection.id (every example uses conn_abc123; after a
                              connection.disconnected the processor ignores every later event of
                              that connection, as OFAuth never reconnects one: use another id)
  --client-reference <id>     set the clientReferenceId (default: the payload's; to the local
                              pipeline, a connection it already holds keeps its own)
  --shape documented|sdk      envelope shape (default: as in the payload)
  --keep-timestamp            send the payload's timestamp and id as they are, e.g. to replay a
                              delivery (default: each send is a new event: timestamp now, and a
                              new top-level id for an SDK-shaped payload or one that has an id)
  --count <n>                 send n deliveries, each a new event unless --keep-timestamp (default: 1)
  --rate <n>                  at most n deliveries per second (default: as fast as --concurrency allows)
  --concurrency <n>           deliveries in flight at once (default: 8)
  --timeout <ms>              per-request timeout (default: 15000)
  --tamper                    change the body after signing (expect 401 invalid_signature)
  --stale                     sign with a timestamp 10 minutes old (expect 401 timestamp_out_of_tolerance)
  -h, --help                  show this help

Examples:
  npm run cli -- send connection.created --connection conn_mine --client-reference user_1
  npm run cli -- send connection.disconnected --connection conn_mine
  npm run cli -- send rules.updated --scheme svix --count 500 --rate 100

Exit code: 0 when every answer is 2xx, 1 otherwise, 2 for a usage error.`;

interface SendOptions {
  readonly payload: Record<string, unknown>;
  /** Whether `--client-reference` set the payload's client reference. */
  readonly clientReferenceGiven: boolean;
  /** Whether the payload is one of the examples (not a file of the user's). */
  readonly fromExample: boolean;
  readonly url: URL;
  readonly scheme: Scheme;
  readonly secret: string;
  /** Where the secret came from, for the hint after a 401. */
  readonly secretSource: string;
  readonly keepTimestamp: boolean;
  readonly count: number;
  readonly rate: number | undefined;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly tamper: boolean;
  readonly stale: boolean;
}

function isLoopback(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(url.hostname);
}

function oneOf<T extends string>(
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got "${value}"`);
  }
  return value as T;
}

async function resolveSecret(
  flag: string | undefined,
  env: CliIo['env'],
  url: URL,
): Promise<{ secret: string; source: string }> {
  if (flag !== undefined) {
    if (flag.trim() === '') throw new UsageError('--secret must not be empty');
    return { secret: flag.trim(), source: '--secret' };
  }
  const fromEnv = parseSecretList(env[SECRET_ENV_VAR])[0];
  if (fromEnv) return { secret: fromEnv, source: `$${SECRET_ENV_VAR}` };
  const file = devSecretFile(env);
  const dev = isLoopback(url) ? await readDevSecret(file) : undefined;
  if (dev) return { secret: dev, source: `the development secret in ${file}` };
  throw new UsageError(
    `no signing secret: pass --secret or set ${SECRET_ENV_VAR}${
      isLoopback(url) ? ` (\`npm start\` keeps its development secret in ${file} once it has run)` : ''
    }`,
  );
}

/** The local pipeline's URL on the port `npm start` would use with this environment. */
function defaultLocalUrl(env: CliIo['env']): string {
  let port: number;
  try {
    port = localPort(env[PORT_ENV_VAR]);
  } catch (error) {
    if (error instanceof InvalidPortError) throw new UsageError(`${error.message} (or pass --url)`);
    throw error;
  }
  if (port === 0) {
    throw new UsageError(
      `${PORT_ENV_VAR}=0 lets \`npm start\` pick a free port: pass the URL it prints with --url`,
    );
  }
  return localWebhookUrl(port);
}

async function parseSendArgs(args: string[], io: CliIo): Promise<SendOptions | 'help'> {
  let parsed: ReturnType<typeof parseSendArgv>;
  try {
    parsed = parseSendArgv(args);
  } catch (error) {
    throw parseArgsUsageError(error, SEND_OPTIONS);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length === 0)
    throw new UsageError('send needs an event type or a .json file, e.g. `send connection.created`');
  if (positionals.length > 1)
    throw new UsageError(
      `send takes one event type or file, got ${positionals.length}: ${positionals.join(' ')}`,
    );
  const rawUrl = values.url ?? (io.env[URL_ENV_VAR]?.trim() || defaultLocalUrl(io.env));
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new UsageError(`--url must be an http(s) URL, got "${rawUrl}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--url must be an http(s) URL, got "${rawUrl}"`);
  }
  const scheme = oneOf('scheme', values.scheme, SCHEMES) ?? 'ofauth';
  const shape: Shape | undefined = oneOf('shape', values.shape, SHAPES);
  const count = positiveInteger('count', values.count, 1_000_000) ?? 1;
  const rate = positiveNumber('rate', values.rate);
  const concurrency = positiveInteger('concurrency', values.concurrency, 1000) ?? 8;
  const timeoutMs = positiveInteger('timeout', values.timeout, 600_000) ?? 15_000;
  for (const flag of ['connection', 'client-reference'] as const) {
    if (values[flag] !== undefined && values[flag].trim() === '')
      throw new UsageError(`--${flag} must not be empty`);
  }
  const payload = rewritePayload(loadPayload(positionals[0]!), {
    ...(values.connection !== undefined && { connectionId: values.connection }),
    ...(values['client-reference'] !== undefined && { clientReferenceId: values['client-reference'] }),
    ...(shape !== undefined && { shape }),
  });
  const { secret, source } = await resolveSecret(values.secret, io.env, url);
  // Sign once now: a secret the scheme cannot use is a usage error before anything is sent.
  signDelivery('{}', { scheme, secret, timestamp: 0 });
  return {
    payload,
    clientReferenceGiven: values['client-reference'] !== undefined,
    fromExample: exampleTypes().includes(positionals[0]!),
    url,
    scheme,
    secret,
    secretSource: source,
    keepTimestamp: values['keep-timestamp'] ?? false,
    count,
    rate,
    concurrency,
    timeoutMs,
    tamper: values.tamper ?? false,
    stale: values.stale ?? false,
  };
}

const SEND_OPTIONS = {
  scheme: { type: 'string' },
  url: { type: 'string' },
  secret: { type: 'string' },
  connection: { type: 'string' },
  'client-reference': { type: 'string' },
  shape: { type: 'string' },
  'keep-timestamp': { type: 'boolean' },
  count: { type: 'string' },
  rate: { type: 'string' },
  concurrency: { type: 'string' },
  timeout: { type: 'string' },
  tamper: { type: 'boolean' },
  stale: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseSendArgv(args: string[]) {
  return parseArgs({ args, allowPositionals: true, strict: true, options: SEND_OPTIONS });
}

/** The outcome of one POST. */
interface Outcome {
  readonly status?: number;
  readonly statusText?: string;
  readonly body?: string;
  /** When the request was sent (`performance.now()`). */
  readonly startedAt: number;
  readonly latencyMs: number;
  readonly error?: string;
}

function describeNetworkError(error: unknown, url: URL, timeoutMs: number): string {
  const cause = (error as { cause?: { code?: string } })?.cause;
  const code = cause?.code ?? (error as { name?: string })?.name;
  const hint = isLoopback(url)
    ? ` — is \`npm start\` running? If it runs on another port, set ${PORT_ENV_VAR} to that port (as for \`npm start\`) or pass --url with the webhook URL its banner prints`
    : '';
  switch (code) {
    case 'ECONNREFUSED':
      return `could not reach ${url.href}: connection refused${hint}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `could not reach ${url.href}: host ${url.hostname} not found`;
    case 'TimeoutError':
    case 'AbortError':
      return `no answer from ${url.href} within ${timeoutMs} ms`;
    default:
      return `could not reach ${url.href}: ${code ?? (error as Error)?.message ?? String(error)}`;
  }
}

async function post(options: SendOptions, index: number, now: number): Promise<Outcome> {
  const payload = options.keepTimestamp
    ? options.payload
    : asNewEvent(options.payload, new Date(now + index));
  const delivery = signDelivery(JSON.stringify(payload), {
    scheme: options.scheme,
    secret: options.secret,
    timestamp: Math.floor(Date.now() / 1000),
    stale: options.stale,
    tamper: options.tamper,
  });
  const started = performance.now();
  try {
    const response = await fetch(options.url, {
      method: 'POST',
      headers: { ...delivery.headers, 'user-agent': 'ofauth-webhooks-cli' },
      body: delivery.body,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const body = await response.text();
    return {
      status: response.status,
      statusText: response.statusText,
      body,
      startedAt: started,
      latencyMs: performance.now() - started,
    };
  } catch (error) {
    return {
      startedAt: started,
      latencyMs: performance.now() - started,
      error: describeNetworkError(error, options.url, options.timeoutMs),
    };
  }
}

function formatBody(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const ms = (value: number) => `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;

/**
 * Hints that follow the answers: what a newcomer would otherwise have to work out. `tombstone` is
 * {@link tombstoneNote}'s, read before sending (after, it could see this very event's effect).
 */
async function hints(
  options: SendOptions,
  outcomes: readonly Outcome[],
  io: CliIo,
  tombstone: string | undefined,
): Promise<string[]> {
  const notes: string[] = [];
  const local = isLoopback(options.url) ? await findLocalPipeline(io.env) : undefined;
  if (
    outcomes.some((o) => o.error?.includes('connection refused')) &&
    local &&
    local.url !== options.url.href
  ) {
    notes.push(
      `\`npm start\` is running at ${local.url}: set ${PORT_ENV_VAR}=${local.port} or pass --url ${local.url}`,
    );
  }
  const rejected = outcomes.find((o) => o.status === 401 && o.body?.includes('invalid_signature'));
  if (rejected && !options.tamper && isLoopback(options.url)) {
    notes.push(
      `the signature was made with ${options.secretSource}; \`npm start\` checks with $${SECRET_ENV_VAR} if it was set when it started, else with its development secret, kept in ${devSecretFile(io.env)} (its banner prints it)`,
    );
  }
  if (tombstone && outcomes.some((o) => o.status === 202)) notes.push(tombstone);
  return notes;
}

/** The connection id of a payload, when it has one. */
function connectionIdOf(payload: Record<string, unknown>): string | undefined {
  const id = (payload.data as { connection?: { id?: unknown } } | undefined)?.connection?.id;
  return typeof id === 'string' ? id : undefined;
}

/**
 * What the local pipeline's connection registry holds for the payload's connection, read before
 * sending (after, it could see this very event's effect); undefined for another target.
 */
async function localConnectionRecord(options: SendOptions, io: CliIo): Promise<ConnectionRecord | undefined> {
  const local = isLoopback(options.url) ? await findLocalPipeline(io.env) : undefined;
  const connectionId = connectionIdOf(options.payload);
  if (!local || !isLocalPipelineUrl(local, options.url) || connectionId === undefined) return undefined;
  const { ConnectionRegistry } = await import('../lambda/processor/connections.ts');
  const registry = new ConnectionRegistry({
    tableName: local.resources.connectionsTableName,
    clientConfig: localDynamoDbConfig(local),
  });
  return registry.get(connectionId).catch(() => undefined);
}

/**
 * A note when a connection event goes to a connection that the local pipeline already holds as
 * disconnected: its processor ignores the event (a disconnection is permanent, as OFAuth
 * documents), which would otherwise look like a lost event.
 */
function tombstoneNote(options: SendOptions, record: ConnectionRecord | undefined): string | undefined {
  if (!payloadType(options.payload).startsWith('connection.') || record?.status !== 'disconnected') {
    return undefined;
  }
  return `${record.connectionId} was disconnected${record.disconnectedAt ? ` (event time ${record.disconnectedAt})` : ''}: the processor ignores every later event of a disconnected connection, this one included (OFAuth never reconnects one). Send with --connection <another id>, or restart \`npm start\` to begin empty.`;
}

/**
 * The example's client reference, made consistent per connection: without `--client-reference`
 * (nor `--keep-timestamp`), a connection the local registry knows keeps the one it was sent with (an example's own would
 * otherwise overwrite it). Answers the options to send and a line saying what was used.
 */
function settleClientReference(
  options: SendOptions,
  record: ConnectionRecord | undefined,
): { options: SendOptions; line?: string } {
  const connectionId = connectionIdOf(options.payload);
  const current = clientReferenceOf(options.payload);
  if (connectionId === undefined || current === undefined) return { options };
  const known = record?.clientReferenceId;
  // A file is sent as written, and --keep-timestamp resends a delivery byte for byte.
  const adopt = options.fromExample && !options.keepTimestamp && !options.clientReferenceGiven;
  if (adopt && known !== undefined && known !== current) {
    const payload = rewritePayload(options.payload, { clientReferenceId: known });
    return {
      options: { ...options, payload },
      line: `connection ${connectionId}, client reference ${known} (the connection registry's, kept; --client-reference sets another)`,
    };
  }
  const source = options.clientReferenceGiven
    ? '--client-reference'
    : "the payload's; --client-reference sets another";
  return { options, line: `connection ${connectionId}, client reference ${current} (${source})` };
}

/**
 * Runs `send`. Returns the exit code.
 *
 * @example
 * await runSend(['connection.created', '--scheme', 'svix'], { stdout: process.stdout, stderr: process.stderr, env: process.env });
 */
export async function runSend(args: string[], io: CliIo): Promise<number> {
  const parsed = await parseSendArgs(args, io);
  if (parsed === 'help') {
    io.stdout.write(`${SEND_HELP}\n`);
    return 0;
  }
  const record = await localConnectionRecord(parsed, io);
  const tombstone = tombstoneNote(parsed, record);
  const { options, line: usedLine } = settleClientReference(parsed, record);
  const type = payloadType(options.payload);
  const signedAs = `${options.scheme === 'ofauth' ? 'OFAuth-Signature' : 'Svix'}${options.stale ? ', stale' : ''}${
    options.tamper ? ', tampered' : ''
  }`;
  const printHints = async (outcomes: readonly Outcome[]) => {
    for (const note of await hints(options, outcomes, io, tombstone)) io.stderr.write(`note: ${note}\n`);
  };

  if (options.count === 1) {
    io.stdout.write(`POST ${options.url.href}  ${type} (${signedAs})\n`);
    if (usedLine) io.stdout.write(`  ${usedLine}\n`);
    const outcome = await post(options, 0, Date.now());
    if (outcome.error) {
      io.stderr.write(`error: ${outcome.error}\n`);
      await printHints([outcome]);
      return 1;
    }
    io.stdout.write(`${outcome.status} ${outcome.statusText} in ${ms(outcome.latencyMs)}\n`);
    if (outcome.body) io.stdout.write(`${formatBody(outcome.body)}\n`);
    await printHints([outcome]);
    return isSuccess(outcome) ? 0 : 1;
  }

  io.stdout.write(
    `POST ${options.url.href}  ${options.count} × ${type} (${signedAs})${options.rate ? ` at ≤ ${options.rate}/s` : ''}\n`,
  );
  if (usedLine) io.stdout.write(`  ${usedLine}\n`);
  const { outcomes, elapsedSeconds } = await sendMany(options, io);
  const ok = summarize(options, outcomes, elapsedSeconds, io);
  await printHints(outcomes);
  return ok ? 0 : 1;
}

const isSuccess = (outcome: Outcome) =>
  outcome.error === undefined && outcome.status! >= 200 && outcome.status! < 300;

/** Sends `options.count` deliveries, at most `concurrency` at once and `rate` per second. */
async function sendMany(
  options: SendOptions,
  io: CliIo,
): Promise<{ outcomes: Outcome[]; elapsedSeconds: number }> {
  const progress = io.stderr.isTTY ? new ProgressBar(io.stderr, options.count) : undefined;
  const outcomes: Outcome[] = [];
  const now = Date.now();
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < options.count) {
      const index = next++;
      if (options.rate) {
        const wait = started + (index * 1000) / options.rate - performance.now();
        if (wait > 0) await new Promise((wake) => setTimeout(wake, wait));
      }
      const outcome = await post(options, index, now);
      outcomes.push(outcome);
      progress?.update(outcomes.length, !isSuccess(outcome));
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.count) }, worker));
  progress?.done();
  return { outcomes, elapsedSeconds: (performance.now() - started) / 1000 };
}

/**
 * Says so when the requests went out slower than `--rate` asked: the rate at which they were
 * started, and how many `--concurrency` lets through at the latency measured.
 */
export function rateNote(
  options: Pick<SendOptions, 'rate' | 'concurrency'>,
  outcomes: readonly Pick<Outcome, 'startedAt'>[],
  sortedLatencies: readonly number[],
): string | undefined {
  if (!options.rate || outcomes.length < 2) return undefined;
  const starts = outcomes.map((o) => o.startedAt);
  const spanSeconds = (Math.max(...starts) - Math.min(...starts)) / 1000;
  const started = (outcomes.length - 1) / spanSeconds;
  if (started >= 0.9 * options.rate) return undefined;
  const p50 = percentile(sortedLatencies, 50);
  const fits =
    p50 > 0
      ? ` (${options.concurrency} at ${ms(p50)} each fit about ${Math.round((options.concurrency * 1000) / p50)}/s)`
      : '';
  return `rate: --rate ${options.rate} was not reached: requests went out at ${started.toFixed(0)}/s with --concurrency ${options.concurrency}${fits}; raise --concurrency, or the receiver is the limit`;
}

/** Prints the summary of a load; returns whether every answer was 2xx. */
function summarize(options: SendOptions, outcomes: readonly Outcome[], elapsed: number, io: CliIo): boolean {
  const byStatus = new Map<string, { count: number; sample?: string }>();
  for (const outcome of outcomes) {
    const key = outcome.error ? 'network error' : String(outcome.status);
    const entry = byStatus.get(key) ?? { count: 0 };
    entry.count += 1;
    entry.sample ??= outcome.error ?? outcome.body;
    byStatus.set(key, entry);
  }
  const latencies = outcomes
    .filter((o) => !o.error)
    .map((o) => o.latencyMs)
    .sort((a, b) => a - b);
  const achieved = outcomes.length / elapsed;
  io.stdout.write(
    `sent ${outcomes.length} in ${elapsed.toFixed(1)} s (${achieved.toFixed(0)}/s)\n` +
      `answers: ${[...byStatus].map(([status, { count }]) => `${status} × ${count}`).join(', ')}\n`,
  );
  const note = rateNote(options, outcomes, latencies);
  if (note) io.stdout.write(`${note}\n`);
  if (latencies.length > 0) {
    io.stdout.write(
      `latency: p50 ${ms(percentile(latencies, 50))}, p95 ${ms(percentile(latencies, 95))}, p99 ${ms(
        percentile(latencies, 99),
      )}, max ${ms(latencies.at(-1)!)}\n`,
    );
  }
  let ok = true;
  for (const [status, { sample }] of byStatus) {
    if (status.startsWith('2')) continue;
    ok = false;
    io.stdout.write(`first ${status} answer: ${sample ?? ''}\n`);
  }
  return ok;
}

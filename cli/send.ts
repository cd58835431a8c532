/**
 * `send <type|file.json>`: signs a delivery and POSTs it to the local pipeline or a deployed
 * stack; with `--count`, a paced load with a progress bar and a latency summary.
 */
import { parseArgs } from 'node:util';
import {
  DEFAULT_LOCAL_PORT,
  InvalidPortError,
  localPort,
  localWebhookUrl,
  PORT_ENV_VAR,
} from '../local/local-port.ts';
import {
  DEV_SECRET_FILE_ENV_VAR,
  devSecretFile,
  parseSecretList,
  readDevSecret,
  SECRET_ENV_VAR,
} from '../local/signing-secrets.ts';
import {
  asNewEvent,
  loadPayload,
  payloadType,
  rewritePayload,
  SCHEMES,
  type Scheme,
  SHAPES,
  type Shape,
  signDelivery,
} from './deliveries.ts';
import { CliError, type CliIo, positiveInteger, positiveNumber, UsageError } from './errors.ts';
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
  --connection <id>           set data.connection.id
  --client-reference <id>     set the clientReferenceId
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

Exit code: 0 when every answer is 2xx, 1 otherwise, 2 for a usage error.`;

interface SendOptions {
  readonly payload: Record<string, unknown>;
  readonly url: URL;
  readonly scheme: Scheme;
  readonly secret: string;
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

async function resolveSecret(flag: string | undefined, env: CliIo['env'], url: URL): Promise<string> {
  if (flag !== undefined) {
    if (flag.trim() === '') throw new UsageError('--secret must not be empty');
    return flag.trim();
  }
  const fromEnv = parseSecretList(env[SECRET_ENV_VAR])[0];
  if (fromEnv) return fromEnv;
  const file = devSecretFile(env);
  const dev = isLoopback(url) ? await readDevSecret(file) : undefined;
  if (dev) return dev;
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
    throw new UsageError((error as Error).message);
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
  return {
    payload,
    url,
    scheme,
    secret: await resolveSecret(values.secret, io.env, url),
    keepTimestamp: values['keep-timestamp'] ?? false,
    count,
    rate,
    concurrency,
    timeoutMs,
    tamper: values.tamper ?? false,
    stale: values.stale ?? false,
  };
}

function parseSendArgv(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
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
    },
  });
}

/** The outcome of one POST. */
interface Outcome {
  readonly status?: number;
  readonly statusText?: string;
  readonly body?: string;
  readonly latencyMs: number;
  readonly error?: string;
}

function describeNetworkError(error: unknown, url: URL, timeoutMs: number): string {
  const cause = (error as { cause?: { code?: string } })?.cause;
  const code = cause?.code ?? (error as { name?: string })?.name;
  const hint = isLoopback(url) ? ' — is `npm start` running?' : '';
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
      latencyMs: performance.now() - started,
    };
  } catch (error) {
    return {
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
 * Runs `send`. Returns the exit code.
 *
 * @example
 * await runSend(['connection.created', '--scheme', 'svix'], { stdout: process.stdout, stderr: process.stderr, env: process.env });
 */
export async function runSend(args: string[], io: CliIo): Promise<number> {
  const options = await parseSendArgs(args, io);
  if (options === 'help') {
    io.stdout.write(`${SEND_HELP}\n`);
    return 0;
  }
  const type = payloadType(options.payload);
  const signedAs = `${options.scheme === 'ofauth' ? 'OFAuth-Signature' : 'Svix'}${options.stale ? ', stale' : ''}${
    options.tamper ? ', tampered' : ''
  }`;
  const now = Date.now();

  if (options.count === 1) {
    io.stdout.write(`POST ${options.url.href}  ${type} (${signedAs})\n`);
    const outcome = await post(options, 0, now);
    if (outcome.error) throw new CliError(outcome.error);
    io.stdout.write(`${outcome.status} ${outcome.statusText} in ${ms(outcome.latencyMs)}\n`);
    if (outcome.body) io.stdout.write(`${formatBody(outcome.body)}\n`);
    return outcome.status! >= 200 && outcome.status! < 300 ? 0 : 1;
  }

  io.stdout.write(
    `POST ${options.url.href}  ${options.count} × ${type} (${signedAs})${options.rate ? ` at ≤ ${options.rate}/s` : ''}\n`,
  );
  const progress = io.stderr.isTTY ? new ProgressBar(io.stderr, options.count) : undefined;
  const outcomes: Outcome[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < options.count) {
      const index = next++;
      if (options.rate) {
        const due = started + (index * 1000) / options.rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((wake) => setTimeout(wake, wait));
      }
      const outcome = await post(options, index, now);
      outcomes.push(outcome);
      progress?.update(
        outcomes.length,
        outcome.error !== undefined || !(outcome.status! >= 200 && outcome.status! < 300),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.count) }, worker));
  progress?.done();
  const elapsed = (performance.now() - started) / 1000;

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
  io.stdout.write(
    `sent ${outcomes.length} in ${elapsed.toFixed(1)} s (${(outcomes.length / elapsed).toFixed(0)}/s)\n` +
      `answers: ${[...byStatus].map(([status, { count }]) => `${status} × ${count}`).join(', ')}\n`,
  );
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
  return ok ? 0 : 1;
}

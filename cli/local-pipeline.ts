/**
 * The CLI against a running `npm start`: found through the state file it writes
 * (`local/state.ts`), so that `status`, `redrive` and `send`'s hints work with no extra variables.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { CliError, type CliIo, UsageError } from '../dev/errors.ts';
import { isVerifierRejection } from '../local/move-messages.ts';
import {
  LOCAL_CREDENTIALS,
  type LocalPipelineState,
  localStateFile,
  readLocalState,
} from '../local/state.ts';

/** The local pipeline that runs on this machine, if any (`$OFAUTH_LOCAL_STATE_FILE` moves its file). */
export function findLocalPipeline(env: CliIo['env']): Promise<LocalPipelineState | undefined> {
  return readLocalState(localStateFile(env));
}

/** An SQS client for the local pipeline's fauxqs. */
export function localSqsClient(state: LocalPipelineState): SQSClient {
  return new SQSClient({
    region: state.region,
    endpoint: state.endpoints.sqs,
    credentials: LOCAL_CREDENTIALS,
  });
}

/** A DynamoDB client configuration for the local pipeline's DynamoDB Local. */
export function localDynamoDbConfig(state: LocalPipelineState) {
  return { region: state.region, endpoint: state.endpoints.dynamodb, credentials: LOCAL_CREDENTIALS };
}

/** A message as fauxqs's inspection endpoint lists it. */
interface InspectedMessage {
  readonly sentTimestamp?: number;
  readonly messageGroupId?: string;
  readonly messageAttributes?: Readonly<Record<string, { readonly StringValue?: string }>>;
}

/**
 * Every message of a local queue (waiting, delayed and in flight), from fauxqs's
 * `GET /_fauxqs/queues/<name>`, which changes nothing: no receive count, no group locked.
 */
async function localQueueMessages(state: LocalPipelineState, queueUrl: string): Promise<InspectedMessage[]> {
  const name = new URL(queueUrl).pathname.split('/').filter(Boolean).at(-1) ?? '';
  const response = await fetch(`${state.endpoints.sqs}/_fauxqs/queues/${encodeURIComponent(name)}`);
  if (!response.ok) throw new Error(`fauxqs could not describe queue ${name}: HTTP ${response.status}`);
  const { messages } = (await response.json()) as {
    messages?: {
      ready?: InspectedMessage[];
      delayed?: InspectedMessage[];
      inflight?: Array<{ message?: InspectedMessage }>;
    };
  };
  return [
    ...(messages?.ready ?? []),
    ...(messages?.delayed ?? []),
    ...(messages?.inflight ?? []).map((entry) => entry.message ?? {}),
  ];
}

/**
 * The age in seconds of the oldest message (waiting, delayed or in flight) of a local queue, or
 * null when it is empty; locally there is no CloudWatch to ask.
 */
export async function localOldestMessageAge(
  state: LocalPipelineState,
  queueUrl: string,
  now = Date.now(),
): Promise<number | null> {
  const sent = (await localQueueMessages(state, queueUrl))
    .map((message) => message.sentTimestamp)
    .filter((at): at is number => typeof at === 'number');
  return sent.length === 0 ? null : Math.max(0, (now - Math.min(...sent)) / 1000);
}

/** The local dead-letter queue's messages by kind: the processor's, and the verifier's rejections. */
export async function localDeadLetterKinds(
  state: LocalPipelineState,
  queueUrl: string,
): Promise<{ processor: number; verifierRejections: number }> {
  const messages = await localQueueMessages(state, queueUrl);
  const verifierRejections = messages.filter((message) =>
    isVerifierRejection({
      Attributes: { MessageGroupId: message.messageGroupId ?? '' },
      MessageAttributes: message.messageAttributes ?? {},
    }),
  ).length;
  return { processor: messages.length - verifierRejections, verifierRejections };
}

/** Whether `url` is the webhook URL of that local pipeline. */
export function isLocalPipelineUrl(state: LocalPipelineState, url: URL): boolean {
  try {
    const local = new URL(state.url);
    const loopback = (host: string) => ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host);
    return (
      loopback(url.hostname) &&
      loopback(local.hostname) &&
      url.port === local.port &&
      url.pathname === local.pathname
    );
  } catch {
    return false;
  }
}

/**
 * What `status`, `redrive` and `replay` say when no option names a deployed stack and no
 * `npm start` runs: they never turn to AWS on their own.
 */
export const NO_LOCAL_PIPELINE =
  'no local pipeline is running on this machine (start one with `npm start` in another terminal), ' +
  'and no deployed stack was named (pass --stack NAME --region REGION; `npx cdk deploy` creates OFAuthWebhookReceiver)';

/** What the local-or-stack choice of a command found. */
export type LocalOrStack =
  | { readonly kind: 'local'; readonly state: LocalPipelineState }
  | {
      readonly kind: 'stack';
      readonly stack: string;
      readonly region: string | undefined;
      readonly outputs: Readonly<Record<string, string>>;
    };

/** An AWS region name, e.g. `eu-west-1`. */
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Refuses a `--region` that cannot be an AWS region, naming the value received. */
export function assertRegion(region: string | undefined): void {
  if (region !== undefined && !REGION_PATTERN.test(region)) {
    throw new UsageError(`--region must be an AWS region such as us-east-1, got "${region}"`);
  }
}

/**
 * The running local pipeline when neither `--stack` nor `--region` is given, else the deployed
 * stack's outputs (the stack defaults to `defaultStack`). Only `--stack` or `--region` turns to
 * AWS: a command meant for `npm start` never reaches a stack, and `--local` never does.
 *
 * @throws {CliError} when no local pipeline runs and no stack was named
 */
export async function localOrStack(
  values: { readonly stack?: string; readonly region?: string; readonly local?: boolean },
  defaultStack: string,
  localState: () => Promise<LocalPipelineState | undefined>,
  readOutputs: (stack: string, region: string | undefined) => Promise<Record<string, string>>,
): Promise<LocalOrStack> {
  if (values.stack === undefined) {
    const state = await localState();
    if (state) return { kind: 'local', state };
    if (values.local || values.region === undefined) throw new CliError(NO_LOCAL_PIPELINE);
  }
  assertRegion(values.region);
  const stack = values.stack ?? defaultStack;
  return { kind: 'stack', stack, region: values.region, outputs: await readOutputs(stack, values.region) };
}

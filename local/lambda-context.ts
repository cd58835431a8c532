/**
 * The Lambda `context` object the local pipeline hands to the handlers. Powertools reads it
 * (Logger adds the function fields, Idempotency sizes its in-progress lease from
 * `getRemainingTimeInMillis`), so it carries the same fields the Node.js runtime provides.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID } from '../dev/api-gateway-event.ts';

/** Describes the emulated function. */
export interface LocalFunction {
  /** The function name, e.g. `ofauth-verifier`. */
  readonly functionName: string;
  /** The function's timeout: `getRemainingTimeInMillis` counts down from it. */
  readonly timeoutMs: number;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default 256 */
  readonly memoryLimitInMB?: number;
}

/**
 * A fresh context for one invocation; the deadline starts now.
 *
 * @example
 * const context = createLambdaContext({ functionName: 'ofauth-verifier', timeoutMs: 10_000 });
 * await handler(event, context);
 */
export function createLambdaContext(fn: LocalFunction, now: () => number = Date.now): Context {
  const deadline = now() + fn.timeoutMs;
  const region = fn.region ?? 'us-east-1';
  const unsupported = (name: string) => () => {
    throw new Error(`context.${name}() is not supported: return a value or a promise from the handler`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${fn.functionName}`,
    memoryLimitInMB: String(fn.memoryLimitInMB ?? 256),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn.functionName}`,
    logStreamName: `local/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}

/** Thrown (and reported as a function error) when an invocation outlives its function's timeout. */
export class InvocationTimeoutError extends Error {
  constructor(
    readonly functionName: string,
    readonly timeoutMs: number,
  ) {
    super(`${functionName} timed out after ${timeoutMs} ms`);
    this.name = 'InvocationTimeoutError';
  }
}

/**
 * Runs one invocation the way the Lambda runtime bounds it: the handler's promise, or an
 * {@link InvocationTimeoutError} once the timeout has passed. The handler keeps running in the
 * background (a local process cannot be frozen), but its late result is ignored, as Lambda's is.
 */
export async function invokeWithTimeout<TEvent, TResult>(
  fn: LocalFunction,
  handler: (event: TEvent, context: Context) => Promise<TResult>,
  event: TEvent,
): Promise<TResult> {
  const context = createLambdaContext(fn);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new InvocationTimeoutError(fn.functionName, fn.timeoutMs)), fn.timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(() => handler(event, context)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What sets one receiver apart from every other in the same account and region: its name, and
 * from it the `service` values its functions publish metrics and write logs under. CloudFormation
 * names every resource (no physical names), so only these values need choosing.
 */
import { createHash } from 'node:crypto';
import { Names, Stack, Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/** Where a receiver's functions publish their metrics: one namespace, one `service` value each. */
export interface ReceiverMetricsIdentity {
  /** The CloudWatch namespace. */
  readonly namespace: string;
  /** The verifier's `service` dimension value (and log field). */
  readonly verifierService: string;
  /** The processor's `service` dimension value (and log field). */
  readonly processorService: string;
}

/** The `service` values of a receiver's two functions. */
export function receiverMetricsIdentity(receiverName: string, namespace: string): ReceiverMetricsIdentity {
  return {
    namespace,
    verifierService: `${receiverName}-verifier`,
    processorService: `${receiverName}-processor`,
  };
}

const MAX_NAME_LENGTH = 64;

/**
 * The stack name and the construct's path below the stack, e.g. `OFAuthWebhookReceiver-Receiver`:
 * a stack name is unique in its account and region, and a path is unique in its stack. Too long a
 * name is shortened and made unique again with a hash of the whole.
 */
export function defaultReceiverName(scope: Construct): string {
  const stack = Stack.of(scope);
  const below = scope.node.scopes.slice(scope.node.scopes.indexOf(stack) + 1).map((each) => each.node.id);
  const stackName = Token.isUnresolved(stack.stackName) ? Names.uniqueId(stack) : stack.stackName;
  const name = [stackName, ...below].join('-').replace(/[^A-Za-z0-9._-]/g, '-');
  if (name.length <= MAX_NAME_LENGTH) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_NAME_LENGTH - hash.length - 1)}-${hash}`;
}

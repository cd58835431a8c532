/**
 * `ofauth-webhook-receiver/testing`: what a consumer's tests need. Example events of every type,
 * SQS FIFO events built from them (as the processor receives them) and a Lambda context, to test
 * a handler file; and signed deliveries (both schemes) to post to a running receiver.
 *
 * @example
 * import { createProcessorHandler } from 'ofauth-webhook-receiver/processor';
 * import { exampleEvent, lambdaContext, sqsEvent } from 'ofauth-webhook-receiver/testing';
 *
 * const response = await handler(sqsEvent({ body: exampleEvent('connection.created') }), lambdaContext());
 */

export {
  EXAMPLE_EVENT_TYPES,
  type ExampleEvent,
  type ExampleEventData,
  type ExampleEventType,
  exampleEvent,
} from './examples.ts';
export { type SignedRequest, type SignedRequestInput, signedRequest } from './signed-request.ts';
export {
  generateSvixSecret,
  type OfAuthSigningInput,
  type SvixSigningInput,
  signOfAuth,
  signSvix,
  svixHeaders,
} from './signers.ts';
export { lambdaContext, type SqsRecordInput, sqsEvent, sqsRecord } from './sqs.ts';

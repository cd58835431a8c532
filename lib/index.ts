/**
 * The package's root entry point (`ofauth-webhook-receiver`): the receiver construct and its
 * props, its monitoring, and the ready-made stack. The processor kit for your own handler file is
 * the `ofauth-webhook-receiver/processor` entry point.
 */
export * from './processed-events-table.ts';
export { RECEIVER_DEFAULTS } from './receiver/defaults.ts';
export {
  EVENT_BUS_ENVIRONMENT_VARIABLE,
  ReceiverEventBus,
  type ReceiverEventBusProps,
} from './receiver/event-bus.ts';
export { type ReceiverMetricsIdentity, receiverMetricsIdentity } from './receiver/identity.ts';
export { InvalidReceiverPropsError, MAX_VERIFIER_TIMEOUT_SECONDS } from './receiver/validate-props.ts';
export * from './receiver-archive.ts';
export * from './receiver-monitoring.ts';
export {
  type OFAuthWebhookReceiverProps,
  type ProcessorFunctionProps,
  RECEIVER_LOG_LEVELS,
  type ReceiverFunctionProps,
  type ReceiverLogLevel,
  type ReceiverQueueProps,
  type ReceiverTableProps,
} from './receiver-props.ts';
export * from './receiver-stack.ts';
export * from './webhook-receiver.ts';

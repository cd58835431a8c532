/**
 * The part of `@aws-sdk/client-eventbridge` the publisher uses, imported lazily by
 * `event-bus.ts`: a processor without a bus never evaluates it at cold start, and a module of
 * named imports lets esbuild keep only these in the bundle.
 */
export { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';

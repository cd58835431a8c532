/**
 * Failures on purpose, so that a newcomer can watch retries, the dead-letter queue and a redrive
 * without editing a handler: in the local pipeline, an event whose connection id starts with
 * {@link DEMO_FAILURE_PREFIX} fails its handler on each of its first `maxReceiveCount` runs (every
 * receive fails, so SQS moves it to the dead-letter queue), and goes through on the next one (a
 * redrive, or a replay).
 *
 * Only `local/pipeline.ts` wraps the handler map with it. The deployed processor is bundled from
 * `bin/handlers/index.ts`, and nothing under `lambda/` imports from `local/`
 * (test/unit/inspector-isolation.test.ts; test/infra/bundling.test.ts checks the bundles).
 */
import type { EventHandler, EventHandlers } from '../lambda/processor/router.ts';

/** Connection ids that start with this fail on purpose in the local pipeline. */
export const DEMO_FAILURE_PREFIX = 'demo_fail_';

/** The error a demo failure throws. */
export class DemoFailureError extends Error {
  override readonly name = 'DemoFailureError';
}

/**
 * The handler map with every handler failing on purpose for a demo connection's first `failures`
 * runs of each event (counted by event id, across the pipeline's execution environments).
 *
 * @example
 * createProcessorHandler({ handlers: withDemoFailures(handlers, { failures: 5 }) });
 */
export function withDemoFailures(
  handlers: EventHandlers,
  options: { readonly failures: number },
): EventHandlers {
  const runs = new Map<string, number>();
  // A named function, so that the error's logged location is this file (Powertools reads it from
  // the first stack frame written `name (file:line:column)`).
  const wrap = (handler: EventHandler): EventHandler =>
    async function failOnPurpose(event, context) {
      if (event.connectionId?.startsWith(DEMO_FAILURE_PREFIX)) {
        const run = (runs.get(context.eventId) ?? 0) + 1;
        runs.set(context.eventId, run);
        if (run <= options.failures) {
          throw new DemoFailureError(
            `failing on purpose (local pipeline only): a connection id starting with ${DEMO_FAILURE_PREFIX} fails its first ${options.failures} runs; this was run ${run}`,
          );
        }
      }
      await handler(event, context);
    };
  return Object.fromEntries(
    Object.entries(handlers).map(([type, handler]) => [type, wrap(handler as EventHandler)]),
  ) as unknown as EventHandlers;
}

/**
 * `rules.updated`: the Dynamic Rules for signing direct OnlyFans API requests changed. Anything
 * that caches rules should refresh from `getLatestRules()` (lambda/processor/rules.ts).
 */
import type { RealtimeEvent } from '../../shared/event-model.ts';
import { skippedWriteMessage } from '../connections-table.ts';
import type { EventHandler } from '../router.ts';

/** Records the latest revision (and the rules body when present) unless a newer one is stored. */
export const rulesUpdated: EventHandler<RealtimeEvent<'rules.updated'>> = async (event, context) => {
  const outcome = await context.rules.apply(event, context);
  if (outcome.applied)
    context.logger.info('dynamic rules revision recorded', { revision: event.data.revision });
  else
    context.logger.info(skippedWriteMessage(outcome.reason), {
      reason: outcome.reason,
      revision: event.data.revision,
    });
};

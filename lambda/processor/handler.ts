/**
 * The default processor's Lambda entry point: the default handler map, built by
 * {@link createProcessorHandler}. The receiver deploys it unless `processor.entry` names a handler
 * file of your own (see `bin/handlers/index.ts`, the repository's own).
 */
import { createProcessorHandler, type ProcessorHandler } from './create-handler.ts';

export {
  createProcessorHandler,
  type ProcessorHandler,
  type ProcessorHandlerOptions,
} from './create-handler.ts';

/**
 * The default handlers over the table named by `CONNECTIONS_TABLE_NAME`; a missing variable fails
 * the first invocation loudly.
 */
export const handler: ProcessorHandler = createProcessorHandler();

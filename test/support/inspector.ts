/**
 * A local pipeline on the jest global setup's emulators with the inspector attached, as
 * `npm start` runs it, for the inspector's end-to-end and browser tests.
 */
import { createInspector, type Inspector } from '../../local/inspector/index.ts';
import type { LocalPipeline, LocalPipelineOptions } from '../../local/pipeline.ts';
import { startTestPipeline } from '../e2e/pipeline-support.ts';

/** A pipeline and its inspector. */
export interface InspectedPipeline {
  readonly pipeline: LocalPipeline;
  readonly inspector: Inspector;
  /** The inspector's page, e.g. `http://127.0.0.1:41234/`. */
  readonly pageUrl: string;
  stop(): Promise<void>;
}

/** Starts a test pipeline with the inspector's observer and routes, and attaches the inspector. */
export async function startInspectedPipeline(options: LocalPipelineOptions = {}): Promise<InspectedPipeline> {
  const inspector = createInspector();
  const pipeline = await startTestPipeline({
    ...options,
    observer: inspector.observer,
    routes: inspector.routes,
  });
  try {
    await inspector.attach(pipeline);
  } catch (error) {
    await pipeline.stop();
    throw error;
  }
  return {
    pipeline,
    inspector,
    pageUrl: `http://127.0.0.1:${pipeline.port}/`,
    stop: async () => {
      inspector.close();
      await pipeline.stop();
    },
  };
}

/** One server-sent event. */
export interface StreamedEvent {
  readonly event: string;
  readonly data: unknown;
}

/**
 * Reads the inspector's event stream until `until` is satisfied by the events so far, or fails
 * after `timeoutMs` naming what it saw.
 */
export async function readStream(
  pageUrl: string,
  until: (events: readonly StreamedEvent[]) => boolean,
  timeoutMs: number,
  onOpen: () => Promise<unknown> = async () => undefined,
): Promise<StreamedEvent[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const events: StreamedEvent[] = [];
  try {
    const response = await fetch(new URL('/api/stream', pageUrl), { signal: abort.signal });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let opened = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const name = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (name && data) events.push({ event: name, data: JSON.parse(data) });
        end = buffer.indexOf('\n\n');
      }
      if (!opened && events.length > 0) {
        opened = true;
        await onOpen();
      }
      if (until(events)) return events;
    }
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  throw new Error(`timed out after ${timeoutMs} ms; events seen: ${events.map((e) => e.event).join(', ')}`);
}

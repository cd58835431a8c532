/**
 * The metric names, dimensions and namespace are a public contract: operators build alarms, queries
 * and dashboards of their own on them, from what docs/how-it-works.md lists. The code's names and
 * the documented ones must be the same set, so that renaming a metric (or a typo in one) shows up
 * here instead of as a silently empty graph after a deploy.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  EVENT_TYPE_DIMENSION,
  METRICS_NAMESPACE,
  PROCESSOR_METRICS,
  REASON_DIMENSION,
  SERVICE_NAMES,
  VERIFIER_METRICS,
} from '../../lambda/shared/metrics.ts';

const HOW_IT_WORKS = resolve(import.meta.dirname, '..', '..', 'docs', 'how-it-works.md');

/** The documented metrics paragraph, from "Metrics (Powertools, EMF" to its end. */
function documentedMetricsParagraph(): string {
  const text = readFileSync(HOW_IT_WORKS, 'utf8');
  const start = text.indexOf('Metrics (Powertools, EMF');
  if (start === -1) throw new Error(`${HOW_IT_WORKS} no longer has the "Metrics (Powertools, EMF" paragraph`);
  const end = text.indexOf('\n\n', start);
  return text.slice(start, end === -1 ? undefined : end).replace(/\s+/g, ' ');
}

/** The code spans of a text, in order. */
function codeSpans(text: string): string[] {
  return [...text.matchAll(/`([^`]+)`/g)].map((match) => match[1]!);
}

describe('metric names', () => {
  const paragraph = documentedMetricsParagraph();
  // The names come after the parenthesis that gives the namespace and the service dimension.
  const [preamble = '', list = ''] = paragraph.split('):');

  it('are the documented ones, no more and no fewer, for each function in turn', () => {
    const [verifierList = '', processorList = ''] = list.split(';');
    const dimensions = new Set([REASON_DIMENSION, EVENT_TYPE_DIMENSION]);
    const names = (text: string) => codeSpans(text).filter((name) => !dimensions.has(name));
    expect(names(verifierList)).toEqual(Object.values(VERIFIER_METRICS));
    expect(names(processorList)).toEqual(Object.values(PROCESSOR_METRICS));
  });

  it('are distinct, non-empty CloudWatch metric names', () => {
    const all = [...Object.values(VERIFIER_METRICS), ...Object.values(PROCESSOR_METRICS)];
    expect(new Set(all).size).toBe(all.length);
    for (const name of all) expect(name).toMatch(/^[A-Z][A-Za-z]{2,254}$/);
  });

  it('split rejections by the documented reason dimension and processing by the event type', () => {
    expect(list).toContain(`\`${VERIFIER_METRICS.rejected}\` by \`${REASON_DIMENSION}\``);
    expect(list).toContain(`\`${PROCESSOR_METRICS.lag}\` by \`${EVENT_TYPE_DIMENSION}\``);
    expect([REASON_DIMENSION, EVENT_TYPE_DIMENSION]).toEqual(['reason', 'eventType']);
  });

  it('live in the documented namespace, with a service dimension per function', () => {
    expect(codeSpans(preamble)).toEqual([
      METRICS_NAMESPACE,
      'metricsNamespace',
      'service',
      '<receiverName>-verifier',
      '<receiverName>-processor',
    ]);
    // Outside a deployment (tests, `npm start`) the receiver name is `ofauth`.
    expect(SERVICE_NAMES).toEqual({ verifier: 'ofauth-verifier', processor: 'ofauth-processor' });
  });
});

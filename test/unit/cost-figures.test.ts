/**
 * docs/cost-and-scaling.md shows the cost per event as `npm run bench -- --only costs` counted it:
 * its generated block is exactly the committed docs/cost-figures.json priced and rendered by
 * bench/lib/prices.ts, the one place list prices live. No total is typed by hand.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CountedCosts,
  costDocsBlock,
  PRICES,
  priceParts,
  renderCostTables,
  withCostTables,
} from '../../bench/lib/prices.ts';
import { REPO_ROOT } from '../../dev/signing-secrets.ts';

const COST_DOC = join(REPO_ROOT, 'docs', 'cost-and-scaling.md');
const committed = JSON.parse(
  readFileSync(join(REPO_ROOT, 'docs', 'cost-figures.json'), 'utf8'),
) as CountedCosts;

describe('the cost figures in docs/cost-and-scaling.md', () => {
  it('are exactly the committed counts, priced and rendered', () => {
    // GIVEN the committed counts and the document
    const markdown = readFileSync(COST_DOC, 'utf8');
    // THEN the document's generated block is their rendering, character for character
    expect(costDocsBlock(markdown)).toBe(renderCostTables(committed));
    expect(withCostTables(markdown, committed)).toBe(markdown);
  });

  it('come from a dated run of the stated load', () => {
    expect(new Date(committed.date).toISOString()).toBe(committed.date);
    expect(committed.events).toBeGreaterThan(0);
    expect(committed.eventSizeBytes).toBe(2048);
  });
});

describe('the pricing of counted calls', () => {
  it('moves each part by the list price of what was counted, nothing else', () => {
    // GIVEN the committed counts, and the same with one more write unit per event by the verifier
    const base = priceParts(committed, { traffic: 'steady', logLevel: 'INFO' });
    const more = priceParts(
      {
        ...committed,
        dynamodb: { ...committed.dynamodb, verifierWrite: committed.dynamodb.verifierWrite + 1 },
      },
      { traffic: 'steady', logLevel: 'INFO' },
    );
    // THEN only the ingest path and the total grow, by the price of a million write units
    expect(more.ingest - base.ingest).toBeCloseTo(PRICES.dynamodbWriteUnit * 1e6, 9);
    expect(more.endToEnd - base.endToEnd).toBeCloseTo(PRICES.dynamodbWriteUnit * 1e6, 9);
    expect([more.processing, more.archive, more.record]).toEqual([
      base.processing,
      base.archive,
      base.record,
    ]);
  });

  it('charges a trickle the per-batch costs of every event, a steady stream a fifth of them', () => {
    const steady = priceParts(committed, { traffic: 'steady', logLevel: 'INFO' });
    const trickle = priceParts(committed, { traffic: 'trickle', logLevel: 'INFO' });
    expect(trickle.ingest).toBe(steady.ingest);
    expect(trickle.record).toBe(steady.record);
    expect(trickle.processing).toBeGreaterThan(steady.processing);
  });
});

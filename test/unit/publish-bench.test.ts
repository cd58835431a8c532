/**
 * The publish bench (bench/publish.ts): it times the processor's own publisher against the local
 * recording bus, every publish recorded, and the report shows its figures.
 */
import { renderReport } from '../../bench/lib/report.ts';
import type { BenchResults } from '../../bench/lib/results.ts';
import { benchPublish } from '../../bench/publish.ts';

describe('the publish bench', () => {
  const saved = process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
  afterEach(() => {
    if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
    else process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = saved;
  });

  it('times each publish after the first and the warm-up, and the report shows the figures', async () => {
    // GIVEN local credentials for the SDK client WHEN the bench publishes 5 events after 2 warm-up ones
    process.env.AWS_ACCESS_KEY_ID ??= 'local';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
    process.env.AWS_REGION ??= 'us-east-1';
    const result = await benchPublish(5, () => undefined, 2);

    // THEN it reports 5 samples, the first publish apart, and the size of one detail
    expect(result.latencyMs.count).toBe(5);
    expect(result.firstMs).toBeGreaterThan(0);
    expect(result.entryBytes).toBeGreaterThan(100);

    // AND the report renders them as a table
    const report = renderReport(
      {
        generatedAt: '2026-01-05T10:00:00.000Z',
        command: 'npm run bench -- --only publish',
        machine: { node: '24', platform: 'linux', arch: 'x64', cpus: 2, cpuModel: 'cpu' },
        quick: false,
        publish: { firstMs: 41.5, latencyMs: { ...result.latencyMs, p50: 0.91, p99: 2.4 }, entryBytes: 700 },
        skipped: [],
        durations: {},
      } satisfies BenchResults,
      undefined,
    );
    expect(report).toContain('## Publishing to the event bus');
    expect(report).toMatch(/\| 5 \| 41\.5 \| 0\.91 \| [^|]+ \| 2\.4 \|/);
  });
});

/**
 * The bundles bench (bench/bundles.ts) compares each function's bundle with a bare bundle of
 * exactly the SDK clients the function uses: the comparison is fair only if the two carry the
 * same clients.
 */
import { build } from 'esbuild';
import {
  type BundleComparison,
  FUNCTIONS,
  firstOfPair,
  parseCallgrindInstructions,
  renderBundleFigures,
  STACK_BUNDLING,
} from '../../bench/bundles.ts';
import { renderReport } from '../../bench/lib/report.ts';
import { REPO_ROOT } from '../../dev/signing-secrets.ts';

/** The `@aws-sdk/client-*` packages an esbuild bundle of `source` (or `entry`) carries. */
async function sdkClientsIn(input: { entry: string } | { source: string }): Promise<string[]> {
  const result = await build({
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    mainFields: ['module', 'main'],
    outfile: 'bundle.mjs',
    ...('entry' in input
      ? { entryPoints: [input.entry] }
      : { stdin: { contents: input.source, resolveDir: REPO_ROOT, loader: 'ts' } }),
  });
  const clients = new Set<string>();
  for (const path of Object.keys(result.metafile.inputs)) {
    const match = /node_modules\/(@aws-sdk\/client-[a-z0-9-]+)\//.exec(path);
    if (match) clients.add(match[1]!);
  }
  return [...clients].sort();
}

describe('the bundles bench', () => {
  it.each(FUNCTIONS.map((fn) => [fn.name, fn] as const))(
    'compares the %s with a bare bundle of exactly the SDK clients it carries',
    async (_name, fn) => {
      // GIVEN the function's bundle and its bare bundle, built alike
      const [function_, bare] = await Promise.all([
        sdkClientsIn({ entry: fn.entry }),
        sdkClientsIn({ source: fn.bareSource }),
      ]);
      // THEN they carry the same SDK clients
      expect(function_.length).toBeGreaterThan(0);
      expect(bare).toEqual(function_);
    },
    60_000,
  );
});

describe('the bundles bench load order', () => {
  it('loads the bundle first in one round and its bare bundle first in the next', () => {
    // GIVEN four rounds
    // WHEN each picks which of its pair loads first
    const order = [0, 1, 2, 3].map(firstOfPair);
    // THEN each side goes first in half of them, so that neither is always the one loaded second
    expect(order).toEqual(['bundle', 'bare', 'bundle', 'bare']);
  });
});

/** What `valgrind --tool=callgrind --callgrind-out-file=/dev/null node …` prints on stderr. */
const CALLGRIND_STDERR = [
  '==11519== Callgrind, a call-graph generating cache profiler',
  '==11519== Command: node --single-threaded --predictable --input-type=module -e …',
  "==11519== brk segment overflow in thread #1: can't grow to 0x73ec000",
  "==11519== For interactive control, run 'callgrind_control -h'.",
  '==11519== ',
  '==11519== Events    : Ir',
  '==11519== Collected : 742007091',
  '==11519== ',
  '==11519== I   refs:      742,007,091',
  '',
].join('\n');

describe("the bundles bench's instruction counts", () => {
  it("reads the instructions from callgrind's Collected line", () => {
    // GIVEN callgrind's summary, after the program's own warnings
    // WHEN it is parsed
    // THEN the count is the Collected total
    expect(parseCallgrindInstructions(CALLGRIND_STDERR)).toBe(742_007_091);
  });

  it('reads the instructions from the I refs line when there is no Collected line', () => {
    // GIVEN a summary without the Collected line (e.g. a valgrind printing the short form)
    const summary = CALLGRIND_STDERR.split('\n')
      .filter((line) => !line.includes('Collected'))
      .join('\n');
    // WHEN it is parsed
    // THEN the count is the I refs total, its thousands separators dropped
    expect(parseCallgrindInstructions(summary)).toBe(742_007_091);
  });

  it('rejects output that carries no instruction count', () => {
    // GIVEN a run that died before callgrind's summary
    const output = '==1== Callgrind, a call-graph generating cache profiler\nError: no handler export\n';
    // WHEN it is parsed
    // THEN it fails, naming what was missing, rather than reading 0 or NaN
    expect(() => parseCallgrindInstructions(output)).toThrow(/no instruction count/);
  });
});

/** A measured bundle, with the load figures the rendering needs. */
function measured(bytes: number, cpuMs: number) {
  return {
    file: 'x.mjs',
    bytes,
    topInputs: [],
    importMsMedian: cpuMs,
    importCpuMsMedian: cpuMs,
    processMsMedian: cpuMs,
    samples: 21,
  };
}

/** The verifier's row as the bench produces it, with or without instruction counts. */
function verifierRow(instructions: BundleComparison['instructions']): BundleComparison {
  return {
    function: 'verifier',
    variant: STACK_BUNDLING.name,
    bundle: measured(455_373, 171.5),
    bare: measured(370_278, 161.3),
    instructions,
  };
}

describe('the bundles table', () => {
  const counted = verifierRow({ bundle: 547_800_000, bare: 512_700_000, emptyModule: 89_600_000 });
  const uncounted = verifierRow({ notMeasured: 'valgrind is not on PATH' });

  it('shows instructions and their ratio beside the CPU time and its ratio', () => {
    // GIVEN a run that counted instructions
    // WHEN the docs table is rendered
    const figures = renderBundleFigures([counted], new Date('2026-12-07T05:14:00Z'), '2 × CPU');
    const row = figures.split('\n').find((line) => line.startsWith('| verifier |'));
    // THEN the row shows millions of instructions of each, their ratio, and the CPU ratio
    expect(row).toContain('| 547.8 | 512.7 | 1.068× |');
    expect(row).toContain('| 1.06× |');
    // AND the run line says what was subtracted, from the same run
    expect(figures).toContain('less the 89.6 M instructions of importing an empty module');
  });

  it('says "not measured", and why, when instructions were not counted', () => {
    // GIVEN a run without valgrind
    // WHEN the docs table and the report are rendered
    const figures = renderBundleFigures([uncounted], new Date('2026-12-07T05:14:00Z'), '2 × CPU');
    const report = renderReport(
      {
        generatedAt: '2026-12-07T05:14:00Z',
        command: 'npm run bench -- --only bundles',
        machine: { node: '24', platform: 'linux', arch: 'x64', cpus: 2, cpuModel: 'CPU' },
        quick: false,
        bundles: [uncounted],
        skipped: [],
        durations: {},
      },
      undefined,
    );
    // THEN the instruction columns say so, and the reason is given
    expect(figures.split('\n').find((line) => line.startsWith('| verifier |'))).toContain(
      '| not measured | not measured | not measured |',
    );
    expect(figures).toContain('Instructions not measured: valgrind is not on PATH');
    expect(report).toContain('Instructions not measured: valgrind is not on PATH');
  });

  it('shows the instruction ratio in the report', () => {
    // GIVEN a run that counted instructions
    // WHEN the report is rendered
    const report = renderReport(
      {
        generatedAt: '2026-12-07T05:14:00Z',
        command: 'npm run bench -- --only bundles',
        machine: { node: '24', platform: 'linux', arch: 'x64', cpus: 2, cpuModel: 'CPU' },
        quick: false,
        bundles: [counted],
        skipped: [],
        durations: {},
      },
      undefined,
    );
    // THEN its bundles table carries the instructions and their ratio
    expect(report).toContain('| 547.8 | 512.7 | 1.068× |');
  });
});

/**
 * Runs one part of the benchmark in its own process, so that each part gets fresh module state
 * (the handlers read their configuration once, when their modules load), its own environment and
 * its own heap. Usage (by `bench/run.ts`):
 * `node --conditions=ofauth-receiver-source --import tsx bench/part.ts <part> <out.json> [--quick]`.
 * Progress goes to stderr; the handlers' own log lines go to stdout, which the runner discards.
 */
import { writeFile } from 'node:fs/promises';

const [part, outFile, ...flags] = process.argv.slice(2);
const quick = flags.includes('--quick');
const log = (line: string) => process.stderr.write(`${line}\n`);

function endpoints() {
  const dynamodb = process.env.BENCH_DYNAMODB_ENDPOINT;
  const sqs = process.env.BENCH_SQS_ENDPOINT;
  if (!dynamodb || !sqs)
    throw new Error('BENCH_DYNAMODB_ENDPOINT and BENCH_SQS_ENDPOINT must be set (bench/run.ts sets them)');
  return { dynamodb, sqs };
}

/** The pipeline setup this process measures, from `BENCH_PIPELINE_SETUP` (JSON) set by `bench/run.ts`. */
function pipelineSetup(): import('./pipeline.ts').PipelineSetup {
  return JSON.parse(process.env.BENCH_PIPELINE_SETUP ?? '{}');
}

async function run(): Promise<unknown> {
  switch (part) {
    case 'signatures': {
      const { benchSignatures } = await import('./signatures.ts');
      return benchSignatures(quick ? 100 : 400, log);
    }
    case 'handler-stubbed': {
      const { benchHandlerStubbed } = await import('./handler.ts');
      return benchHandlerStubbed(quick ? 300 : 1000, log);
    }
    case 'handler-emulators': {
      const { benchHandlerEmulators } = await import('./handler.ts');
      return benchHandlerEmulators(endpoints(), quick ? [1, 20] : [1, 20, 100], quick ? 200 : 1000, log);
    }
    case 'pipeline': {
      const { benchPipeline } = await import('./pipeline.ts');
      return benchPipeline(
        endpoints(),
        [pipelineSetup()],
        quick
          ? [
              { connections: 1, eventsPerConnection: 50 },
              { connections: 20, eventsPerConnection: 10 },
              { connections: 100, eventsPerConnection: 4 },
            ]
          : [
              { connections: 1, eventsPerConnection: 300 },
              { connections: 20, eventsPerConnection: 60 },
              { connections: 100, eventsPerConnection: 30 },
            ],
        log,
      );
    }
    case 'publish': {
      const { benchPublish } = await import('./publish.ts');
      return benchPublish(quick ? 200 : 2000, log);
    }
    case 'costs': {
      const { benchCosts } = await import('./costs.ts');
      return benchCosts(quick, log);
    }
    default:
      throw new Error(`unknown part "${part}"`);
  }
}

try {
  const result = await run();
  await writeFile(outFile!, JSON.stringify(result));
  // SDK keep-alive sockets and timers of the handlers would keep the process alive.
  process.exit(0);
} catch (error) {
  log(`part ${part} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
}

/**
 * A consumer's CDK app, as a team that installs the packed tarball would write it: its own
 * handler file, two receivers in one stack, cdk-nag on. Written into a temporary directory outside
 * the repository, with only aws-cdk-lib, constructs, esbuild, cdk-nag, @types/node and the tarball
 * installed.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The version of a package the repository itself installed, so the scratch app needs no new downloads. */
function installedVersion(name: string): string {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
}

/**
 * Runs a command with this process's environment (certificates, proxies) plus `env`, but without
 * the npm_* variables of the `npm test` that runs this, so that npm in the scratch app knows
 * nothing of the repository.
 */
export async function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<{ stdout: string; stderr: string }> {
  const inherited = Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_'));
  const env = { ...Object.fromEntries(inherited), ...options.env };
  try {
    return await execFileAsync(command, args, { cwd: options.cwd, env, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(
      `${command} ${args.join(' ')} failed in ${options.cwd}:\n${stderr ?? ''}\n${stdout ?? ''}`,
      {
        cause: error,
      },
    );
  }
}

/** The consumer's handler file: its own connection.created over the default, the rest default. */
export const CONSUMER_PROCESSOR = `import {
  createProcessorHandler,
  defaultHandlers,
  type EventHandler,
  type RealtimeEvent,
} from 'ofauth-webhook-receiver/processor';

const connectionCreated: EventHandler<RealtimeEvent<'connection.created'>> = async (event, context) => {
  await defaultHandlers['connection.created'](event, context); // keep the registry
  const stored = await context.connections.get(event.data.connection.id);
  const permissions: string[] | undefined = event.data.connection.permissions;
  context.logger.info('consumer onboarding ran', { user: event.data.clientReferenceId, status: stored?.status, permissions });
};

export const handler = createProcessorHandler({ handlers: { 'connection.created': connectionCreated } });
`;

/** What the compiler must reject (or see typed) in a consumer's file, through the shipped declarations. */
export const CONSUMER_TYPE_CHECKS = `import { createProcessorHandler, type EventHandler, type RealtimeEvent } from 'ofauth-webhook-receiver/processor';
import { Duration } from 'aws-cdk-lib';
import { OFAuthWebhookReceiver, type OFAuthWebhookReceiverProps } from 'ofauth-webhook-receiver';

const onRules: EventHandler<RealtimeEvent<'rules.updated'>> = async (event, context) => {
  event.data.revision?.toString();
  // @ts-expect-error the logger is Powertools' Logger, typed (not any)
  context.logger.noSuchMethod();
};

// @ts-expect-error a rules.updated handler registered under connection.created
export const wrong = createProcessorHandler({ handlers: { 'connection.created': onRules } });

// @ts-expect-error the receiver's props are typed
export const props: ConstructorParameters<typeof OFAuthWebhookReceiver>[2] = { batchSize: 'ten' };

// @ts-expect-error one spelling: the processor's timeout is the receiver prop processorTimeout
export const twice: OFAuthWebhookReceiverProps = { processorProps: { timeout: Duration.seconds(40) } };
`;

/** Two receivers with the consumer's processor in one stack, cdk-nag's AwsSolutions checks on. */
export const CONSUMER_APP = `import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { OFAuthWebhookReceiver } from 'ofauth-webhook-receiver';

const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'Webhooks');
for (const id of ['Staging', 'Production']) {
  new OFAuthWebhookReceiver(stack, id, {
    processorProps: { entry: 'src/processor.ts' },
    removalPolicy: RemovalPolicy.DESTROY,
  });
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
`;

/** Where {@link EVENT_BUS_APP} synthesizes to, beside the README app's cdk.out. */
export const EVENT_BUS_APP_OUTDIR = 'cdk.out.bus';

/** A receiver that publishes to the account's default event bus, cdk-nag's AwsSolutions checks on. */
export const EVENT_BUS_APP = `import { App, Stack, Validations } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { AwsSolutionsChecks } from 'cdk-nag';
import { OFAuthWebhookReceiver } from 'ofauth-webhook-receiver';

const app = new App({ outdir: '${EVENT_BUS_APP_OUTDIR}' });
const stack = new Stack(app, 'Webhooks');
new OFAuthWebhookReceiver(stack, 'Receiver', {
  eventBus: EventBus.fromEventBusName(stack, 'DefaultBus', 'default'),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
`;

/** Runs a processor bundle from cdk.out on one SQS event, the way Lambda's Node runtime would call it. */
export const RUN_BUNDLE = `import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [bundle, eventFile, resultFile] = process.argv.slice(2);
const { handler } = await import(pathToFileURL(bundle).href);
const context = {
  functionName: 'consumer-processor',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:consumer-processor',
  memoryLimitInMB: '256',
  awsRequestId: 'consumer-request',
  logGroupName: '/aws/lambda/consumer-processor',
  logStreamName: 'local',
  callbackWaitsForEmptyEventLoop: false,
  getRemainingTimeInMillis: () => 30000,
};
const result = await handler(JSON.parse(readFileSync(eventFile, 'utf8')), context);
writeFileSync(resultFile, JSON.stringify(result));
`;

/** The tsconfig of a scratch app: strict, Node's own module resolution, the shipped declarations only. */
const SCRATCH_TSCONFIG = JSON.stringify({
  compilerOptions: {
    target: 'es2023',
    lib: ['es2023'],
    module: 'nodenext',
    moduleResolution: 'nodenext',
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    allowImportingTsExtensions: true,
    types: ['node'],
  },
  include: ['src', 'bin', 'lib', 'test'],
});

/** What goes into a scratch app. */
export interface ScratchAppOptions {
  /** The packed tarball of this package. */
  readonly tarball: string;
  /** Files by path relative to the app. */
  readonly files: Readonly<Record<string, string>>;
  /** Versions that replace the repository's own (e.g. the newest aws-cdk-lib). @default - the repository's */
  readonly versions?: Readonly<Record<string, string>>;
}

/** Writes an app into `directory` and installs its dependencies there. */
export async function installScratchApp(directory: string, options: ScratchAppOptions): Promise<void> {
  const dependencies = Object.fromEntries(
    // @types/node: a CDK app has it (`cdk init` installs it); the README's code uses console and node:test.
    ['aws-cdk-lib', 'constructs', 'cdk-nag', 'esbuild', '@types/node'].map((name) => [
      name,
      options.versions?.[name] ?? installedVersion(name),
    ]),
  );
  const packageJson = {
    name: 'consumer-app',
    private: true,
    type: 'module',
    dependencies: { ...dependencies, 'ofauth-webhook-receiver': `file:${options.tarball}` },
  };
  writeFileSync(join(directory, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
  writeFileSync(join(directory, 'tsconfig.json'), SCRATCH_TSCONFIG);
  for (const [file, content] of Object.entries(options.files)) {
    mkdirSync(dirname(join(directory, file)), { recursive: true });
    writeFileSync(join(directory, file), content);
  }
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: directory });
}

/** The two-receiver app of the repository's aws-cdk-lib (the peer range's minimum). */
export async function createScratchApp(directory: string, tarball: string): Promise<void> {
  await installScratchApp(directory, {
    tarball,
    files: {
      'src/processor.ts': CONSUMER_PROCESSOR,
      'src/type-checks.ts': CONSUMER_TYPE_CHECKS,
      'app.mjs': CONSUMER_APP,
      'run-bundle.mjs': RUN_BUNDLE,
    },
  });
}

/**
 * The README's library steps as files: every TypeScript block of README.md whose first line names
 * a file of the app (`// lib/webhooks-stack.ts`), by that name.
 */
export function readmeAppFiles(): Record<string, string> {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const files: Record<string, string> = {};
  for (const [, file, body] of readme.matchAll(
    /```ts\n\/\/ ((?:bin|lib|src|test)\/[\w./-]+\.ts)\n([\s\S]*?)```/g,
  )) {
    // The repository's own handler files (`bin/handlers/`) are the clone path's, not the library's.
    if (file!.startsWith('bin/handlers/')) continue;
    files[file!] = body!;
  }
  return files;
}

/** The newest aws-cdk-lib published, as the registry says now. */
export async function newestVersion(name: string): Promise<string> {
  const { stdout } = await run('npm', ['view', name, 'version'], { cwd: REPO_ROOT });
  return stdout.trim();
}

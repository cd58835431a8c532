/**
 * The package as a consumer meets it: `npm pack`, the tarball installed into a scratch CDK app
 * outside the repository, the consumer's own handler file, two receivers in one stack with
 * cdk-nag, a real synth with real esbuild bundles, and the consumer's processor bundle run from
 * cdk.out on an SQS event against DynamoDB Local.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { createLocalResources } from '../../local/resources.ts';
import { connectionEvent } from '../fixtures/events.ts';
import { sqsEvent } from '../fixtures/sqs-events.ts';
import { physicallyNamed } from '../support/physical-names.ts';
import {
  createScratchApp,
  EVENT_BUS_APP,
  EVENT_BUS_APP_OUTDIR,
  installScratchApp,
  newestVersion,
  REPO_ROOT,
  readmeAppFiles,
  run,
} from './support/scratch-app.ts';

/** The fields of a template resource the assertions read. */
interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown> & {
    readonly Description?: string;
    readonly Code?: { readonly S3Key: string };
    readonly Environment?: { readonly Variables: Record<string, unknown> };
    readonly Dimensions?: unknown;
  };
}

let packDirectory: string;
let scratch: string;
let newest: string;
let newestCdkLib: string;
let resources: Record<string, Resource>;
let newestResources: Record<string, Resource>;

/** The template and cdk-nag's findings of a synthesized scratch app. */
const templateOf = (app: string, outdir = 'cdk.out') =>
  JSON.parse(readFileSync(join(app, outdir, 'Webhooks.template.json'), 'utf8')).Resources;
function nagViolations(app: string, outdir = 'cdk.out'): unknown[] {
  const report = JSON.parse(readFileSync(join(app, outdir, 'validation-report.json'), 'utf8'));
  return report.pluginReports.flatMap((plugin: { violations?: unknown[] }) => plugin.violations ?? []);
}

beforeAll(async () => {
  // GIVEN the packed tarball installed into two apps in temporary directories outside the
  // repository: one on the repository's aws-cdk-lib (the peer range's minimum), one on the newest
  packDirectory = mkdtempSync(join(tmpdir(), 'ofauth-pack-'));
  scratch = mkdtempSync(join(tmpdir(), 'ofauth-consumer-'));
  newest = mkdtempSync(join(tmpdir(), 'ofauth-newest-'));
  expect(scratch.startsWith(REPO_ROOT)).toBe(false);
  const [{ stdout }, version] = await Promise.all([
    run('npm', ['pack', '--json', '--pack-destination', packDirectory], { cwd: REPO_ROOT }),
    newestVersion('aws-cdk-lib'),
  ]);
  newestCdkLib = version;
  const [packed] = JSON.parse(stdout) as Array<{ filename: string }>;
  const tarball = join(packDirectory, packed!.filename);
  // WHEN each app is synthesized with cdk-nag, bundling every function of every receiver
  await Promise.all([
    createScratchApp(scratch, tarball).then(() => run('node', ['app.mjs'], { cwd: scratch })),
    installScratchApp(newest, {
      tarball,
      versions: { 'aws-cdk-lib': newestCdkLib },
      files: { ...readmeAppFiles(), 'bin/event-bus-app.ts': EVENT_BUS_APP },
    }).then(() => run('node', ['bin/app.ts'], { cwd: newest, env: { CDK_OUTDIR: 'cdk.out' } })),
  ]);
  resources = templateOf(scratch);
  newestResources = templateOf(newest);
  // npm pack (a build), two npm installs, and six esbuild bundles on a shared machine.
}, 600_000);

afterAll(() => {
  for (const dir of [packDirectory, scratch, newest]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the README’s library steps, in an app on the newest aws-cdk-lib', () => {
  it('are the stack, the cdk-nag app, the handler file with its side effect, and the test', () => {
    expect(Object.keys(readmeAppFiles()).sort()).toEqual([
      'bin/app.ts',
      'lib/webhooks-stack.ts',
      'src/ofauth-processor.ts',
      'src/onboarding.ts',
      'test/welcome.test.ts',
    ]);
  });

  it('install the newest aws-cdk-lib, not the repository’s', () => {
    const installed = JSON.parse(
      readFileSync(join(newest, 'node_modules', 'aws-cdk-lib', 'package.json'), 'utf8'),
    ).version;
    expect(installed).toBe(newestCdkLib);
  });

  it('type-check against the shipped declarations', async () => {
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const { stdout } = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: newest });
    expect(stdout).toBe('');
  }, 60_000);

  it('synthesize cdk-nag clean, on the newest Node.js runtime that aws-cdk-lib offers', () => {
    // cdk-nag's AwsSolutions-L1 compares each function's runtime with the newest in Runtime.ALL.
    const receiverFunctions = Object.values(newestResources).filter((r) =>
      /^(Verifies|Processes) /.test(String(r.Properties.Description)),
    );
    expect(receiverFunctions.map((fn) => fn.Properties.Runtime)).toEqual(['nodejs26.x', 'nodejs26.x']);
    expect(nagViolations(newest)).toEqual([]);
  });

  it('send every alarm to the given topic and give the operators replay and redrive', () => {
    const alarms = Object.values(newestResources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(0);
    const actions = new Set(alarms.map((alarm) => JSON.stringify(alarm.Properties.AlarmActions)));
    expect([...actions]).toHaveLength(1);
    expect([...actions][0]).toContain(':on-call');
    const operatorActions = Object.values(newestResources)
      .filter(
        (r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes('Operators'),
      )
      .flatMap((policy) =>
        (
          policy.Properties.PolicyDocument as { Statement: Array<{ Action: string | string[] }> }
        ).Statement.flatMap((statement) => statement.Action),
      );
    expect(operatorActions).toEqual(
      expect.arrayContaining(['s3:GetObject', 'sqs:SendMessage', 'sqs:StartMessageMoveTask']),
    );
  });

  it('synthesize a receiver that publishes to an event bus, cdk-nag clean, with PutEvents on that bus only', async () => {
    // GIVEN the same app with a receiver given the default event bus
    // WHEN it is synthesized with cdk-nag on
    await run('node', ['bin/event-bus-app.ts'], { cwd: newest });
    // THEN nothing is unacknowledged, the processor may put events on that bus and nothing else
    // on EventBridge, and the schemas are registered
    expect(nagViolations(newest, EVENT_BUS_APP_OUTDIR)).toEqual([]);
    const template: Record<string, Resource> = templateOf(newest, EVENT_BUS_APP_OUTDIR);
    const eventStatements = Object.values(template)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap(
        (policy) =>
          (policy.Properties.PolicyDocument as { Statement: Array<{ Action: string | string[] }> }).Statement,
      )
      .filter((statement) => JSON.stringify(statement.Action).includes('events:'));
    expect(eventStatements).toHaveLength(1);
    expect(eventStatements[0]).toMatchObject({ Action: 'events:PutEvents' });
    expect(JSON.stringify(eventStatements[0])).toContain(':event-bus/default');
    expect(
      Object.values(template).filter((r) => r.Type === 'AWS::EventSchemas::Schema').length,
    ).toBeGreaterThan(0);
  }, 120_000);

  it('run the README’s handler test with the testing entry point', async () => {
    const { stdout } = await run('node', ['--test', '--test-reporter=tap', 'test/welcome.test.ts'], {
      cwd: newest,
    });
    expect(stdout).toMatch(/# pass 1\n# fail 0/);
  }, 60_000);
});

const RECEIVERS = ['Staging', 'Production'];

/** The functions of one receiver (by logical ID prefix) whose description starts with `description`. */
function functionsOf(receiver: string, description: string): Array<[string, Resource]> {
  return Object.entries(resources).filter(
    ([id, r]) =>
      r.Type === 'AWS::Lambda::Function' &&
      id.startsWith(receiver) &&
      String(r.Properties.Description).startsWith(description),
  );
}

/** The bundled code of a function, from its asset directory in cdk.out. */
function bundleOf(fn: Resource): string {
  const hash = fn.Properties.Code!.S3Key.replace(/\.zip$/, '');
  return readFileSync(join(scratch, 'cdk.out', `asset.${hash}`, 'index.mjs'), 'utf8');
}

const environmentOf = (fn: Resource) => fn.Properties.Environment!.Variables;

describe('a consumer app with the packed tarball', () => {
  it('type-checks its handler file against the shipped declarations, which reject a handler of the wrong type', async () => {
    // src/type-checks.ts expects four errors; an unused @ts-expect-error fails the check.
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const { stdout } = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: scratch });
    expect(stdout).toBe('');
  }, 60_000);

  it('ships compiled JavaScript and declarations, with no path into the repository', () => {
    const installed = join(scratch, 'node_modules', 'ofauth-webhook-receiver');
    const files = readdirSync(installed, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => relative(installed, join(entry.parentPath, entry.name)));
    // Beside the code: the example events of the testing entry point (JSON), the published events'
    // JSON Schemas, and the package's papers.
    expect(
      files
        .filter(
          (file) =>
            !/\.(js|d\.ts)$/.test(file) &&
            !/^dist\/examples\/events\/[\w.]+\.json$/.test(file) &&
            !/^schemas\/[\w.]+\.json$/.test(file),
        )
        .sort(),
    ).toEqual(['CHANGELOG.md', 'LICENSE', 'README.md', 'package.json']);
    expect(files.filter((file) => file.startsWith('schemas/')).sort()).toEqual(
      readdirSync(join(REPO_ROOT, 'schemas'))
        .filter((file) => file.endsWith('.json'))
        .map((file) => `schemas/${file}`)
        .sort(),
    );
    expect(files.filter((file) => file.endsWith('.js')).length).toBeGreaterThan(40);
    const mentioningRepository = files.filter((file) =>
      readFileSync(join(installed, file), 'utf8').includes(REPO_ROOT),
    );
    expect(mentioningRepository).toEqual([]);
  });

  it('loads the construct from a CommonJS app too (require of the ES module)', async () => {
    const script = "process.stdout.write(typeof require('ofauth-webhook-receiver').OFAuthWebhookReceiver)";
    const { stdout } = await run('node', ['--input-type=commonjs', '-e', script], { cwd: scratch });
    expect(stdout).toBe('function');
  }, 30_000);

  it('synthesizes two of each function, cdk-nag clean', () => {
    for (const receiver of RECEIVERS) {
      expect([functionsOf(receiver, 'Verifies').length, functionsOf(receiver, 'Processes').length]).toEqual([
        1, 1,
      ]);
    }
    expect(nagViolations(scratch)).toEqual([]);
  });

  it('bundles the consumer’s handler code into each processor and into nothing else', () => {
    for (const receiver of RECEIVERS) {
      const [[, processor]] = functionsOf(receiver, 'Processes') as [[string, Resource]];
      const [[, verifier]] = functionsOf(receiver, 'Verifies') as [[string, Resource]];
      expect(bundleOf(processor)).toContain('consumer onboarding ran');
      expect(bundleOf(verifier)).not.toContain('consumer onboarding ran');
    }
  });

  it('gives each receiver its own metric identity, and alarms that read only their own', () => {
    const services = RECEIVERS.flatMap((receiver) =>
      [...functionsOf(receiver, 'Verifies'), ...functionsOf(receiver, 'Processes')].map(
        ([, fn]) => environmentOf(fn).POWERTOOLS_SERVICE_NAME,
      ),
    );
    expect(services).toEqual([
      'Webhooks-Staging-verifier',
      'Webhooks-Staging-processor',
      'Webhooks-Production-verifier',
      'Webhooks-Production-processor',
    ]);
    for (const receiver of RECEIVERS) {
      const inputs = Object.entries(resources)
        .filter(([id, r]) => r.Type === 'AWS::CloudWatch::Alarm' && id.startsWith(receiver))
        // A metric-math alarm (the 4xx rate) reads its metrics' dimensions from its Metrics.
        .map(([, alarm]) => JSON.stringify(alarm.Properties.Dimensions ?? alarm.Properties.Metrics));
      expect(inputs).toHaveLength(17);
      const other = RECEIVERS.find((each) => each !== receiver)!;
      expect(inputs.filter((dimensions) => dimensions.includes(other))).toEqual([]);
      expect(inputs.filter((dimensions) => dimensions.includes(`Webhooks-${receiver}-`))).toHaveLength(6);
    }
  });

  it('gives no resource a physical name, so nothing collides', () => {
    expect(physicallyNamed(resources)).toEqual([]);
    const count = (receiver: string) => Object.keys(resources).filter((id) => id.startsWith(receiver)).length;
    expect(count('Staging')).toBe(count('Production'));
  });

  it('runs the consumer’s processor bundle on an SQS event against DynamoDB Local, its own handler included', async () => {
    // GIVEN the connections table in DynamoDB Local and the Staging processor's bundle and settings
    const endpoints = { dynamodb: process.env.TEST_DYNAMODB_ENDPOINT!, sqs: process.env.TEST_SQS_ENDPOINT! };
    const config = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
    const dynamodb = new DynamoDBClient({ ...config, endpoint: endpoints.dynamodb });
    const local = await createLocalResources(
      { dynamodb, sqs: new SQSClient({ ...config, endpoint: endpoints.sqs }) },
      { prefix: `consumer-${Date.now()}` },
    );
    const [[, processor]] = functionsOf('Staging', 'Processes') as [[string, Resource]];
    const hash = processor.Properties.Code!.S3Key.replace(/\.zip$/, '');
    const environment = environmentOf(processor);
    writeFileSync(
      join(scratch, 'event.json'),
      JSON.stringify(
        sqsEvent({
          body: connectionEvent('connection.created', {
            connectionId: 'conn_consumer',
            clientReferenceId: 'user_consumer',
            status: 'active',
          }),
        }),
      ),
    );
    // WHEN the bundle handles it, with the function's environment pointed at the emulators
    const { stdout } = await run(
      'node',
      ['run-bundle.mjs', join('cdk.out', `asset.${hash}`, 'index.mjs'), 'event.json', 'result.json'],
      {
        cwd: scratch,
        env: {
          CONNECTIONS_TABLE_NAME: local.connectionsTableName,
          DEAD_LETTER_QUEUE_URL: local.deadLetterQueueUrl,
          POWERTOOLS_SERVICE_NAME: String(environment.POWERTOOLS_SERVICE_NAME),
          POWERTOOLS_METRICS_NAMESPACE: String(environment.POWERTOOLS_METRICS_NAMESPACE),
          POWERTOOLS_LOG_LEVEL: 'INFO',
          AWS_REGION: config.region,
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
        },
      },
    );
    // THEN the batch succeeds, the consumer's handler ran after the default registry write...
    expect(JSON.parse(readFileSync(join(scratch, 'result.json'), 'utf8'))).toEqual({ batchItemFailures: [] });
    const lines = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
    expect(lines.find((line) => line.message === 'consumer onboarding ran')).toMatchObject({
      service: 'Webhooks-Staging-processor',
      user: 'user_consumer',
      status: 'active',
    });
    const { Item } = await DynamoDBDocumentClient.from(dynamodb).send(
      new GetCommand({ TableName: local.connectionsTableName, Key: { pk: 'connection#conn_consumer' } }),
    );
    expect(Item).toMatchObject({ status: 'active', clientReferenceId: 'user_consumer' });
    // ...and its metrics carry this receiver's namespace and service
    const emf = lines.find((line) => '_aws' in line);
    expect(emf).toMatchObject({ service: 'Webhooks-Staging-processor' });
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('OFAuthWebhooks');
  }, 60_000);
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type App, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { configureReceiverApp } from '../../bin/receiver-app.ts';
import { newApp } from './support/synth.ts';

/** The violations cdk-nag reported into the cloud assembly's validation report. */
function reportedViolations(app: App): unknown[] {
  const report = JSON.parse(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: Array<{ violations?: unknown[] }>;
  };
  return report.pluginReports.flatMap((plugin) => plugin.violations ?? []);
}

/** Every acknowledgement recorded in the construct tree, with the path it applies to. */
function acknowledgements(root: IConstruct): Array<{ path: string; id: string; reason: string }> {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  it.each<[string, Record<string, unknown>]>([
    ['the defaults', {}],
    ['tracing and an alarm e-mail', { tracing: 'true', alarmEmail: 'oncall@example.com' }],
    ['removal policy destroy (the archive bucket empties itself)', { removalPolicy: 'destroy' }],
    ['the archive switched off', { archive: 'false' }],
    [
      'an existing secret with a customer key',
      {
        signingSecretName: 'ofauth/signing',
        signingSecretKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/k',
      },
    ],
  ])('finds nothing unacknowledged in the app built by bin/ with %s', (_case, context) => {
    // GIVEN the app exactly as bin/app.ts builds it, cdk-nag plugin included
    const app = newApp({ context });
    configureReceiverApp(app);
    // WHEN it is synthesized THEN validation passes and reports no violation
    expect(() => app.synth()).not.toThrow();
    expect(reportedViolations(app)).toEqual([]);
  });

  it('fails synthesis on an unacknowledged finding (the plugin is really applied)', () => {
    // GIVEN the app with a queue that has neither TLS enforcement nor a dead-letter queue
    const app = newApp();
    const stack = configureReceiverApp(app);
    new Queue(stack, 'Careless');
    // WHEN it is synthesized THEN cdk-nag stops it
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });

  it('gives every acknowledgement a reason a reviewer can judge', () => {
    const app = newApp({ context: { tracing: 'true' } });
    configureReceiverApp(app);
    const acks = acknowledgements(app);
    expect(acks.map((ack) => ack.id.replace(/^annotation::/i, '')).sort()).toEqual([
      'AwsSolutions-APIG4',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::<ReceiverArchiveBucket64B827B4.Arn>/errors/*]',
      'AwsSolutions-IAM5[Resource::<ReceiverArchiveBucket64B827B4.Arn>/events/*]',
      'AwsSolutions-IAM5[Resource::<ReceiverArchiveBucket64B827B4.Arn>/events/*]',
      'AwsSolutions-S1',
      'AwsSolutions-SMG4',
    ]);
    for (const ack of acks) expect(ack.reason.length).toBeGreaterThan(80);
  });
});

/**
 * The `eventBus` prop: what the receiver creates and grants when it is given (the processor's
 * variable and `events:PutEvents` on that bus only, the not-published alarm, the schema registry
 * with the committed schemas), that nothing of it exists without the prop, and that an app passing
 * a bus synthesizes with cdk-nag on.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { AwsSolutionsChecks } from 'cdk-nag';
import { configureReceiverApp } from '../../bin/receiver-app.ts';
import { SCHEMA_EVENT_TYPES } from '../../lambda/shared/event-schemas.ts';
import { OFAuthWebhookReceiver } from '../../lib/index.ts';
import { newApp, synthStack } from './support/synth.ts';

const BUS_ARN = 'arn:aws:events:us-east-1:123456789012:event-bus/orders';

/** The processor's function resource (the one whose environment names the connections table). */
function processorOf(template: Template) {
  const functions = template.findResources('AWS::Lambda::Function', {
    Properties: { Environment: { Variables: { CONNECTIONS_TABLE_NAME: Match.anyValue() } } },
  });
  expect(Object.keys(functions)).toHaveLength(1);
  return Object.values(functions)[0] as {
    Properties: { Environment: { Variables: Record<string, unknown> } };
  };
}

/** Every IAM statement of the template that allows `events:*` actions. */
function eventsStatements(template: Template): Array<{ Action: unknown; Resource: unknown }> {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
    (
      policy as {
        Properties: { PolicyDocument: { Statement: Array<{ Action: unknown; Resource: unknown }> } };
      }
    ).Properties.PolicyDocument.Statement.filter((statement) =>
      JSON.stringify(statement.Action).includes('events:'),
    ),
  );
}

/** The violations cdk-nag reported into the cloud assembly's validation report. */
function reportedViolations(app: App): unknown[] {
  const report = JSON.parse(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: Array<{ violations?: unknown[] }>;
  };
  return report.pluginReports.flatMap((plugin) => plugin.violations ?? []);
}

describe('the eventBus prop', () => {
  it('grants the processor only events:PutEvents on the given bus, and names it by ARN', () => {
    // GIVEN the stack with a bus ARN WHEN synthesized
    const { template } = synthStack({ eventBus: BUS_ARN });

    // THEN one statement allows PutEvents on that bus, and the processor's variable holds it
    expect(eventsStatements(template)).toEqual([
      expect.objectContaining({ Action: 'events:PutEvents', Resource: BUS_ARN }),
    ]);
    expect(processorOf(template).Properties.Environment.Variables.EVENT_BUS_NAME).toBe(BUS_ARN);
  });

  it('registers the committed schema of every known type, draft 4, in a registry of its own', () => {
    const { template } = synthStack({ eventBus: 'default' });
    template.resourceCountIs('AWS::EventSchemas::Registry', 1);
    const schemas = Object.values(template.findResources('AWS::EventSchemas::Schema')).map(
      (resource) =>
        (resource as { Properties: { SchemaName: string; Type: string; Content: string } }).Properties,
    );
    expect(schemas.map((schema) => schema.SchemaName).sort()).toEqual(
      SCHEMA_EVENT_TYPES.map((type) => `ofauth.realtime@${type}`).sort(),
    );
    for (const schema of schemas) {
      const type = schema.SchemaName.replace('ofauth.realtime@', '');
      const committed = readFileSync(new URL(`../../schemas/${type}.json`, import.meta.url), 'utf8');
      expect(schema.Type).toBe('JSONSchemaDraft4');
      expect(JSON.parse(schema.Content)).toEqual(JSON.parse(committed));
    }
  });

  it('alarms on EventsNotPublished, notifying the alarm topic', () => {
    const { template } = synthStack({ eventBus: 'default', receiver: { alarmEmail: 'oncall@example.com' } });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'EventsNotPublished',
      Threshold: 1,
      AlarmActions: [Match.objectLike({ Ref: Match.stringLikeRegexp('AlarmTopic') })],
    });
    // AND its description sends the operator to a runbook section that exists
    const [alarm] = Object.values(
      template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'EventsNotPublished' } }),
    ) as Array<{ Properties: { AlarmDescription: string } }>;
    const section = /docs\/runbook\.md "([^"]+)"/.exec(alarm!.Properties.AlarmDescription)?.[1];
    const runbook = readFileSync(new URL('../../docs/runbook.md', import.meta.url), 'utf8');
    expect(alarm!.Properties.AlarmDescription).toMatch(/^[^\n]{40,400}$/);
    expect(runbook).toContain(`### ${section}\n`);
  });

  it('creates, grants and sets nothing of EventBridge without it', () => {
    const { template } = synthStack();
    expect(eventsStatements(template)).toEqual([]);
    template.resourceCountIs('AWS::EventSchemas::Registry', 0);
    template.resourceCountIs('AWS::EventSchemas::Schema', 0);
    expect(processorOf(template).Properties.Environment.Variables).not.toHaveProperty('EVENT_BUS_NAME');
    expect(JSON.stringify(template.toJSON())).not.toContain('EventsNotPublished');
  });

  it.each([['default'], ['orders'], [BUS_ARN]])(
    'synthesizes the app built by bin/ with context eventBus=%s and cdk-nag on, nothing unacknowledged',
    (eventBus) => {
      // GIVEN the app as bin/app.ts builds it, cdk-nag included WHEN synthesized THEN nothing is reported
      const app = newApp({ context: { eventBus } });
      const stack = configureReceiverApp(app);
      expect(() => app.synth()).not.toThrow();
      expect(reportedViolations(app)).toEqual([]);
      // AND the bus part is really there
      Template.fromStack(stack).resourceCountIs('AWS::EventSchemas::Schema', SCHEMA_EVENT_TYPES.length);
    },
  );

  it('synthesizes a consumer app that passes a bus of its own with cdk-nag on, nothing unacknowledged', () => {
    // GIVEN a consumer stack with its own bus and the construct, cdk-nag's validation plugin applied
    const app = newApp();
    const stack = new Stack(app, 'Consumer');
    const bus = new EventBus(stack, 'Bus', { eventBusName: 'consumer-bus' });
    new OFAuthWebhookReceiver(stack, 'Receiver', { eventBus: bus });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // WHEN synthesized THEN nothing is reported, and PutEvents is granted on that bus only
    expect(() => app.synth()).not.toThrow();
    expect(reportedViolations(app)).toEqual([]);
    expect(eventsStatements(Template.fromStack(stack))).toEqual([
      expect.objectContaining({
        Action: 'events:PutEvents',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Bus/), 'Arn'] },
      }),
    ]);
  });
});

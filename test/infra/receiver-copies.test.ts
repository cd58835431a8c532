/**
 * Several receivers in one account: two OFAuth apps in one stack, or staging and production as
 * two stacks. Nothing observable may be shared: each copy's functions publish under their own
 * `service` values, its alarms and dashboard read only its own resources and metrics, and every
 * name is CloudFormation's (no physical names to collide).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  InvalidReceiverPropsError,
  OFAuthWebhookReceiver,
  type OFAuthWebhookReceiverProps,
} from 'ofauth-webhook-receiver';
import { physicallyNamed } from '../support/physical-names.ts';
import { newApp } from './support/synth.ts';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** Two receivers, `Staging` and `Production`, in one stack. */
function twoReceivers(props: OFAuthWebhookReceiverProps = {}) {
  const stack = new Stack(newApp(), 'Webhooks');
  const staging = new OFAuthWebhookReceiver(stack, 'Staging', props);
  const production = new OFAuthWebhookReceiver(stack, 'Production', props);
  const resources = Template.fromStack(stack).toJSON().Resources as Resources;
  return { staging, production, resources };
}

/** The logical IDs of every `Ref`/`Fn::GetAtt` inside a value. */
function referencedIds(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(referencedIds);
  if (value === null || typeof value !== 'object') return [];
  const object = value as Record<string, unknown>;
  // Pseudo parameters (AWS::Region, …) are the same for every resource of the stack.
  if (typeof object.Ref === 'string') return object.Ref.startsWith('AWS::') ? [] : [object.Ref];
  if (Array.isArray(object['Fn::GetAtt'])) return [String(object['Fn::GetAtt'][0])];
  return Object.values(object).flatMap(referencedIds);
}

/** Resources of a type whose logical ID starts with the receiver's ID. */
function ofReceiver(resources: Resources, type: string, receiverId: string) {
  return Object.entries(resources).filter(([id, r]) => r.Type === type && id.startsWith(receiverId));
}

const serviceOf = (resources: Resources, receiverId: string) =>
  ofReceiver(resources, 'AWS::Lambda::Function', receiverId).map(
    ([, fn]) =>
      (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables
        .POWERTOOLS_SERVICE_NAME,
  );

describe('two receivers in one stack', () => {
  let staging: OFAuthWebhookReceiver;
  let production: OFAuthWebhookReceiver;
  let resources: Resources;
  beforeAll(() => {
    // GIVEN two receivers with every default in one stack
    ({ staging, production, resources } = twoReceivers());
  });

  it('gives each copy its own name and service values, from the stack name and its path', () => {
    expect([staging.receiverName, production.receiverName]).toEqual([
      'Webhooks-Staging',
      'Webhooks-Production',
    ]);
    expect(serviceOf(resources, 'Staging').sort()).toEqual([
      'Webhooks-Staging-processor',
      'Webhooks-Staging-verifier',
    ]);
    expect(serviceOf(resources, 'Production').sort()).toEqual([
      'Webhooks-Production-processor',
      'Webhooks-Production-verifier',
    ]);
  });

  it.each([
    ['Staging', 'Production'],
    ['Production', 'Staging'],
  ])('lets no alarm of %s read a resource or a metric of %s', (own, other) => {
    const alarms = ofReceiver(resources, 'AWS::CloudWatch::Alarm', own);
    expect(alarms).toHaveLength(17);
    for (const [id, alarm] of alarms) {
      // A metric alarm has its dimensions; a metric-math alarm (the 4xx rate) those of each input.
      const inputs = (alarm.Properties?.Metrics ?? []) as Array<{
        MetricStat?: { Metric: { Dimensions: Array<{ Name: string; Value: unknown }> } };
      }>;
      const dimensions = (alarm.Properties?.Dimensions ??
        inputs.flatMap((input) => input.MetricStat?.Metric.Dimensions ?? [])) as Array<{
        Name: string;
        Value: unknown;
      }>;
      expect({ id, dimensions: dimensions.length > 0 }).toEqual({ id, dimensions: true });
      // Every resource an alarm's dimensions point at belongs to this receiver...
      const refs = referencedIds(dimensions);
      expect({ id, foreign: refs.filter((ref) => !ref.startsWith(own)) }).toEqual({ id, foreign: [] });
      // ...and so does every `service` value of its own metrics.
      const services = dimensions.filter((d) => d.Name === 'service').map((d) => d.Value);
      expect({ id, foreign: services.filter((s) => !String(s).startsWith(`Webhooks-${own}-`)) }).toEqual({
        id,
        foreign: [],
      });
      expect(JSON.stringify(alarm.Properties)).not.toContain(`Webhooks-${other}-`);
    }
  });

  it.each([
    ['Staging', 'Production'],
    ['Production', 'Staging'],
  ])('gives %s a dashboard that shows none of %s', (own, other) => {
    const [[, dashboard], ...more] = ofReceiver(resources, 'AWS::CloudWatch::Dashboard', own);
    expect(more).toEqual([]);
    const body = dashboard!.Properties?.DashboardBody;
    expect(referencedIds(body).filter((ref) => !ref.startsWith(own))).toEqual([]);
    expect(JSON.stringify(body)).toContain(`service=\\\\\\"Webhooks-${own}-processor\\\\\\"`);
    expect(JSON.stringify(body)).not.toContain(`Webhooks-${other}`);
  });

  it('points each function at its own event record and its own log group', () => {
    for (const own of ['Staging', 'Production']) {
      for (const [id, fn] of ofReceiver(resources, 'AWS::Lambda::Function', own)) {
        const refs = referencedIds([fn.Properties?.Environment, fn.Properties?.LoggingConfig]);
        expect({ id, foreign: refs.filter((ref) => !ref.startsWith(own)) }).toEqual({ id, foreign: [] });
      }
    }
  });

  it('names nothing physically, so CloudFormation gives every copy its own names', () => {
    expect(physicallyNamed(resources)).toEqual([]);
  });

  it('builds the same parts for both copies', () => {
    const typesOf = (own: string) =>
      Object.entries(resources)
        .filter(([id]) => id.startsWith(own))
        .map(([, r]) => r.Type)
        .sort();
    expect(typesOf('Staging')).toEqual(typesOf('Production'));
    expect(typesOf('Staging').filter((type) => type === 'AWS::Lambda::Function')).toHaveLength(2);
  });
});

describe('receiver names', () => {
  it('tells apart stacks of different names with the same construct path', () => {
    const app = newApp();
    const names = ['OFAuthStaging', 'OFAuthProduction'].map(
      (stackName) => new OFAuthWebhookReceiver(new Stack(app, stackName), 'Receiver').receiverName,
    );
    expect(names).toEqual(['OFAuthStaging-Receiver', 'OFAuthProduction-Receiver']);
  });

  it('takes the given name for the service values', () => {
    const stack = new Stack(newApp(), 'Named');
    new OFAuthWebhookReceiver(stack, 'Receiver', {
      receiverName: 'creators-app',
      metricsNamespace: 'Acme/OFAuth',
    });
    const fns = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
    expect(fns.map((fn) => fn.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME).sort()).toEqual([
      'creators-app-processor',
      'creators-app-verifier',
    ]);
    expect(
      new Set(fns.map((fn) => fn.Properties.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE)),
    ).toEqual(new Set(['Acme/OFAuth']));
  });

  it('shortens a long default name and keeps it unique with a hash', () => {
    const app = newApp();
    const stack = new Stack(app, 'A'.repeat(60));
    const first = new OFAuthWebhookReceiver(stack, 'ReceiverForTheFirstApp').receiverName;
    const second = new OFAuthWebhookReceiver(stack, 'ReceiverForTheSecondApp').receiverName;
    expect([first.length, second.length]).toEqual([64, 64]);
    expect(first).not.toEqual(second);
  });

  it('rejects two receivers of the same name in one stack', () => {
    const stack = new Stack(newApp(), 'Webhooks');
    new OFAuthWebhookReceiver(stack, 'First', { receiverName: 'ofauth' });
    expect(() => new OFAuthWebhookReceiver(stack, 'Second', { receiverName: 'ofauth' })).toThrow(
      new InvalidReceiverPropsError(
        'receiverName "ofauth" is already used by Webhooks/First: give each receiver its own receiverName',
      ),
    );
  });

  it('allows the same name in stacks of different accounts', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const inAccount = (account: string) =>
      new OFAuthWebhookReceiver(
        new Stack(app, `S${account}`, { env: { account, region: 'eu-west-1' } }),
        'R',
        {
          receiverName: 'ofauth',
        },
      );
    expect([inAccount('111111111111').receiverName, inAccount('222222222222').receiverName]).toEqual([
      'ofauth',
      'ofauth',
    ]);
  });

  it.each([
    ['a name with a slash', 'team/app'],
    ['a name of 65 characters', 'a'.repeat(65)],
    ['an empty name', ''],
  ])('rejects %s', (_case, receiverName) => {
    expect(() => new OFAuthWebhookReceiver(new Stack(newApp(), 'S'), 'R', { receiverName })).toThrow(
      InvalidReceiverPropsError,
    );
  });

  it('rejects an AWS/ metrics namespace', () => {
    expect(
      () => new OFAuthWebhookReceiver(new Stack(newApp(), 'S'), 'R', { metricsNamespace: 'AWS/Lambda' }),
    ).toThrow('metricsNamespace must be a CloudWatch namespace of your own (not AWS/…), got "AWS/Lambda"');
  });
});

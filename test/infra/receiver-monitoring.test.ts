import { readFileSync } from 'node:fs';
import { Duration } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { METRICS_NAMESPACE, PROCESSOR_METRICS, VERIFIER_METRICS } from '../../lambda/shared/metrics.ts';
import { STACK_OUTPUTS } from '../../lib/index.ts';
import { logicalIdOf, synthStack } from './support/synth.ts';

let template: Template;
let withTopic: Template;

/** The `service` values of the receiver `Receiver` in the stack `Receiver`: `<stack>-<path>-<function>`. */
const SERVICE = { verifier: 'Receiver-Receiver-verifier', processor: 'Receiver-Receiver-processor' };

beforeAll(() => {
  // GIVEN the stack with its defaults, and one with an alarm e-mail and custom thresholds
  ({ template } = synthStack());
  ({ template: withTopic } = synthStack({
    receiver: {
      alarmEmail: 'oncall@example.com',
      oldestMessageAgeAlarmThreshold: Duration.minutes(10),
      signatureRejectionAlarmThreshold: 25,
    },
  }));
});

/** The one alarm whose description starts with `start`. */
function alarmStartingWith(t: Template, start: string): Record<string, unknown> {
  const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm')).filter((alarm) =>
    String(alarm.Properties.AlarmDescription).startsWith(start),
  );
  expect(alarms).toHaveLength(1);
  return alarms[0]!.Properties;
}

describe('alarms', () => {
  it('creates seventeen alarms (fourteen, and three of the archive), each with a one-line description that names the runbook', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(17);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmDescription).toMatch(/^[^\n]{40,400}$/);
      expect(alarm.Properties.AlarmDescription).toMatch(/docs\/runbook\.md/);
      expect(alarm.Properties.TreatMissingData).toBe('notBreaching');
    }
  });

  it('sends the operator only to runbook sections that exist', () => {
    // GIVEN the runbook's section headings
    const runbook = readFileSync(new URL('../../docs/runbook.md', import.meta.url), 'utf8');
    const headings = new Set([...runbook.matchAll(/^#{2,3} (.+)$/gm)].map((match) => match[1]!.trim()));
    // THEN every section an alarm description names is one of them
    const named = Object.values(template.findResources('AWS::CloudWatch::Alarm')).flatMap((alarm) =>
      [...String(alarm.Properties.AlarmDescription).matchAll(/docs\/runbook\.md "([^"]+)"/g)].map(
        (match) => match[1]!,
      ),
    );
    expect(named.length).toBeGreaterThanOrEqual(17);
    expect(named.filter((section) => !headings.has(section))).toEqual([]);
  });

  it('fires when any message is on the dead-letter queue', () => {
    expect(alarmStartingWith(template, 'Events are waiting on the dead-letter queue')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: {
            'Fn::GetAtt': [logicalIdOf(template, 'AWS::SQS::Queue', 'ReceiverDeadLetterQueue'), 'QueueName'],
          },
        },
      ],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
    });
  });

  it('fires when the oldest queued message is older than the threshold for three minutes', () => {
    expect(alarmStartingWith(template, 'Events have waited over 300 s')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: {
            'Fn::GetAtt': [logicalIdOf(template, 'AWS::SQS::Queue', 'ReceiverEventQueue'), 'QueueName'],
          },
        },
      ],
      Statistic: 'Maximum',
      Threshold: 300,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
    });
  });

  it('takes the oldest-age and rejection thresholds from props', () => {
    expect(alarmStartingWith(withTopic, 'Events have waited over 600 s').Threshold).toBe(600);
    expect(alarmStartingWith(withTopic, '25+ signature rejections').Threshold).toBe(25);
  });

  it('fires on API Gateway 5xx answers', () => {
    expect(alarmStartingWith(template, 'The webhook endpoint answered 5xx')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [
        { Name: 'ApiId', Value: { Ref: logicalIdOf(template, 'AWS::ApiGatewayV2::Api', 'ReceiverHttpApi') } },
      ],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 5,
    });
  });

  it('fires on any verifier error', () => {
    expect(alarmStartingWith(template, 'The verifier crashed or timed out')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [
        {
          Name: 'FunctionName',
          Value: { Ref: logicalIdOf(template, 'AWS::Lambda::Function', 'ReceiverVerifier') },
        },
      ],
      Statistic: 'Sum',
      Threshold: 1,
    });
  });

  it('fires on a spike of signature rejections from the verifier’s own metric', () => {
    expect(alarmStartingWith(template, '10+ signature rejections in 5 minutes')).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: VERIFIER_METRICS.signatureRejected,
      Dimensions: [{ Name: 'service', Value: SERVICE.verifier }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 10,
    });
  });

  it('fires on processor errors and on processor throttles', () => {
    const processor = { Ref: logicalIdOf(template, 'AWS::Lambda::Function', 'ReceiverProcessor') };
    expect(alarmStartingWith(template, 'The processor failed whole batches')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: processor }],
      Threshold: 1,
    });
    expect(alarmStartingWith(template, 'The processor is throttled')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Throttles',
      Dimensions: [{ Name: 'FunctionName', Value: processor }],
      Threshold: 1,
    });
  });

  it('fires when a processor handler fails events, which Lambda Errors does not count', () => {
    expect(alarmStartingWith(template, 'A processor handler failed events')).toMatchObject({
      Namespace: 'OFAuthWebhooks',
      MetricName: 'ProcessingFailures',
      Dimensions: [{ Name: 'service', Value: SERVICE.processor }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
    });
  });

  it('fires when a signed body answered 4xx could not be kept on the dead-letter queue', () => {
    // The sender does not retry a 4xx: such a body is lost but for its log line.
    const alarm = alarmStartingWith(template, 'A genuinely signed body was answered 4xx');
    expect(alarm).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: VERIFIER_METRICS.rejectedNotKept,
      Dimensions: [{ Name: 'service', Value: SERVICE.verifier }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(alarm.AlarmDescription).toMatch(/will not resend it/);
    expect(alarm.AlarmDescription).toMatch(/docs\/runbook\.md "Rejected bodies not kept"/);
  });

  it('fires when the verifier ran out of time and answered 503, which Lambda Errors does not count', () => {
    const alarm = alarmStartingWith(template, 'The verifier ran out of time');
    expect(alarm).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: VERIFIER_METRICS.timeouts,
      Dimensions: [{ Name: 'service', Value: SERVICE.verifier }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
    });
    expect(alarm.AlarmDescription).toMatch(/docs\/runbook\.md "Verifier failing"/);
  });

  it('fires on verifier throttles', () => {
    const alarm = alarmStartingWith(template, 'The verifier is throttled');
    expect(alarm).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Throttles',
      Dimensions: [
        {
          Name: 'FunctionName',
          Value: { Ref: logicalIdOf(template, 'AWS::Lambda::Function', 'ReceiverVerifier') },
        },
      ],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
    });
    expect(alarm.AlarmDescription).toMatch(/docs\/runbook\.md "Verifier failing"/);
  });

  it('fires when a fifth or more of at least 20 requests in 5 minutes were answered 4xx, 429s included', () => {
    // HTTP APIs publish no metric of their own for 429: the stage throttle's answers are in `4xx`.
    const alarm = alarmStartingWith(template, '20 %+ of the webhook endpoint');
    const api = { Ref: logicalIdOf(template, 'AWS::ApiGatewayV2::Api', 'ReceiverHttpApi') };
    const stat = (metricName: string) => ({
      Metric: {
        Namespace: 'AWS/ApiGateway',
        MetricName: metricName,
        Dimensions: [{ Name: 'ApiId', Value: api }],
      },
      Period: 300,
      Stat: 'Sum',
    });
    expect(alarm).toMatchObject({
      Threshold: 20,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(alarm.Metrics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Expression: 'IF(requests >= 20, 100 * clientErrors / requests, 0)',
          ReturnData: true,
        }),
        expect.objectContaining({ Id: 'requests', MetricStat: stat('Count'), ReturnData: false }),
        expect.objectContaining({ Id: 'clientErrors', MetricStat: stat('4xx'), ReturnData: false }),
      ]),
    );
    expect(alarm.AlarmDescription).toMatch(/429/);
    expect(alarm.AlarmDescription).toMatch(/throttleRateLimit/);
    expect(alarm.AlarmDescription).toMatch(/docs\/runbook\.md "Client errors"/);
  });

  it('fires when a message has waited on the dead-letter queue for half its 14-day retention', () => {
    const alarm = alarmStartingWith(template, 'A message has waited on the dead-letter queue for 7 days');
    expect(alarm).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: {
            'Fn::GetAtt': [logicalIdOf(template, 'AWS::SQS::Queue', 'ReceiverDeadLetterQueue'), 'QueueName'],
          },
        },
      ],
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 7 * 24 * 3600,
      EvaluationPeriods: 1,
    });
    expect(alarm.AlarmDescription).toMatch(/deletes it after 14 days/);
    expect(alarm.AlarmDescription).toMatch(/docs\/runbook\.md "Dead-letter queue"/);
  });

  it('keeps the dead-letter age alarm at half of a retention given in deadLetterQueueProps', () => {
    const { template: short } = synthStack({
      receiver: { deadLetterQueueProps: { retentionPeriod: Duration.days(4) } },
    });
    const alarm = alarmStartingWith(short, 'A message has waited on the dead-letter queue for 2 days');
    expect(alarm.Threshold).toBe(2 * 24 * 3600);
    expect(alarm.AlarmDescription).toMatch(/deletes it after 4 days/);
  });

  it('fires when the processor could not record handled events as processed, and only with the record on', () => {
    const start = 'Handlers ran for events the processor could not record as processed';
    expect(alarmStartingWith(template, start)).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: PROCESSOR_METRICS.processedRecordWriteFailures,
      Dimensions: [{ Name: 'service', Value: SERVICE.processor }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
    });
    // AND the deprecated processedEventRecord: false keeps it, as the record is always kept
    const { template: off } = synthStack({ receiver: { processedEventRecord: false } });
    const descriptions = Object.values(off.findResources('AWS::CloudWatch::Alarm')).map((alarm) =>
      String(alarm.Properties.AlarmDescription),
    );
    expect(descriptions.filter((description) => description.startsWith(start))).toHaveLength(1);
  });

  it('notifies nobody when no e-mail is given', () => {
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: Match.absent() });
  });
});

describe('alarm topic', () => {
  it('sends every alarm and recovery to an encrypted topic with the e-mail subscribed', () => {
    const topicId = logicalIdOf(withTopic, 'AWS::SNS::Topic', 'ReceiverMonitoringAlarmTopic');
    withTopic.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: topicId }],
      OKActions: [{ Ref: topicId }],
    });
    withTopic.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: topicId },
    });
    withTopic.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: {
        'Fn::GetAtt': [logicalIdOf(withTopic, 'AWS::KMS::Key', 'ReceiverMonitoringAlarmTopicKey'), 'Arn'],
      },
    });
  });

  it('rotates the topic key and lets CloudWatch use it', () => {
    withTopic.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });

  it('denies publishing to the topic without TLS', () => {
    withTopic.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('dashboard', () => {
  let body: string;

  beforeAll(() => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]!;
    // The body is a Fn::Join of literal JSON and resource references; the literals carry the metrics.
    body = (dashboard.Properties.DashboardBody['Fn::Join'][1] as unknown[])
      .map((part) => (typeof part === 'string' ? part : 'REF'))
      .join('');
  });

  it('is valid JSON with a widget for every part of the flow', () => {
    const titles = (JSON.parse(body).widgets as Array<{ properties: { title?: string } }>).map(
      (w) => w.properties.title,
    );
    expect(titles).toEqual(
      expect.arrayContaining([
        'Alarms',
        'Requests (API)',
        'Deliveries (verifier)',
        'Rejections by reason',
        'Processed by event type',
        'Processing lag p99 (ms) by event type',
        'Queue depth',
        'Oldest queued message (s)',
        'Dead-letter queue depth',
        'API latency (ms)',
        'Verifier duration (ms)',
        'Processor duration (ms)',
      ]),
    );
  });

  it('splits rejections by reason and processing by event type with SEARCH expressions', () => {
    expect(body).toContain(
      `SEARCH('{${METRICS_NAMESPACE},reason,service} MetricName=\\"${VERIFIER_METRICS.rejected}\\" service=\\"${SERVICE.verifier}\\"', 'Sum', 300)`,
    );
    for (const metric of [PROCESSOR_METRICS.processed, PROCESSOR_METRICS.failed, PROCESSOR_METRICS.lag]) {
      expect(body).toContain(
        `{${METRICS_NAMESPACE},eventType,service} MetricName=\\"${metric}\\" service=\\"${SERVICE.processor}\\"`,
      );
    }
  });

  it('shows received, enqueued and latency percentiles', () => {
    for (const metric of [
      VERIFIER_METRICS.received,
      VERIFIER_METRICS.enqueued,
      VERIFIER_METRICS.duplicates,
    ]) {
      expect(body).toContain(`"${METRICS_NAMESPACE}","${metric}","service","${SERVICE.verifier}"`);
    }
    for (const percentile of ['p50', 'p90', 'p99']) expect(body).toContain(`"stat":"${percentile}"`);
  });

  it('shows every alarm, the archive’s included, in its alarm widget', () => {
    const widgets = JSON.parse(body).widgets as Array<{ type: string; properties: { alarms?: string[] } }>;
    const [status] = widgets.filter((widget) => widget.type === 'alarm');
    // Each alarm is a reference in the body (an ARN is only known on deploy).
    expect(status?.properties.alarms).toHaveLength(17);
  });

  it('shows the kept-body failures, the timeouts, the record write failures and the dead-letter age', () => {
    for (const metric of [VERIFIER_METRICS.rejectedNotKept, VERIFIER_METRICS.timeouts]) {
      expect(body).toContain(`"${METRICS_NAMESPACE}","${metric}","service","${SERVICE.verifier}"`);
    }
    expect(body).toContain(
      `"${METRICS_NAMESPACE}","${PROCESSOR_METRICS.processedRecordWriteFailures}","service","${SERVICE.processor}"`,
    );
    expect(body).toContain('"AWS/SQS","ApproximateAgeOfOldestMessage","QueueName","REF"');
    expect(body).toContain('"label":"oldest dead-letter message (s)"');
  });

  it('is named by the stack output', () => {
    template.hasOutput(STACK_OUTPUTS.dashboardName, {
      Value: { Ref: logicalIdOf(template, 'AWS::CloudWatch::Dashboard', 'ReceiverMonitoringDashboard') },
    });
  });
});

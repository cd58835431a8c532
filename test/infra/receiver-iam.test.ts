import { Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { OFAuthWebhookReceiverStack } from '../../lib/index.ts';
import { logicalIdOf, newApp, synthStack } from './support/synth.ts';

/** Services whose actions touch data: they must never be granted with a wildcard action or on `*`. */
const DATA_PLANE_SERVICES = ['dynamodb', 'sqs', 'secretsmanager', 'kms'];

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** Every wildcard problem in the identity policies (inline, attached and managed) of a template. */
function wildcardFindings(template: Template): string[] {
  interface PolicyDocument {
    readonly Statement: Statement[];
  }
  const resources = template.toJSON().Resources as Record<
    string,
    {
      Type: string;
      Properties: {
        PolicyDocument: PolicyDocument;
        Policies?: Array<{ PolicyDocument: PolicyDocument }>;
        ManagedPolicyArns?: unknown[];
      };
    }
  >;
  const findings: string[] = [];
  const statements: Array<[string, Statement]> = [];
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      for (const statement of resource.Properties.PolicyDocument.Statement) statements.push([id, statement]);
    }
    if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of resource.Properties.Policies ?? []) {
        for (const statement of policy.PolicyDocument.Statement) statements.push([id, statement]);
      }
      for (const managed of resource.Properties.ManagedPolicyArns ?? []) {
        findings.push(`${id}: managed policy ${JSON.stringify(managed)}`);
      }
    }
  }
  for (const [id, statement] of statements) {
    if (statement.Effect !== 'Allow') continue;
    const actions = ([] as string[]).concat(statement.Action);
    const resourcesOf = ([] as unknown[]).concat(statement.Resource).map((r) => JSON.stringify(r));
    for (const action of actions) {
      const [service] = action.split(':');
      if (action === '*' || action.endsWith(':*')) findings.push(`${id}: action ${action}`);
      else if (DATA_PLANE_SERVICES.includes(service!) && action.includes('*'))
        findings.push(`${id}: action ${action}`);
    }
    const touchesData = actions.some(
      (action) => DATA_PLANE_SERVICES.includes(action.split(':')[0]!) || action === '*',
    );
    for (const resource of resourcesOf) {
      if (touchesData && resource.includes('*')) findings.push(`${id}: ${actions.join(',')} on ${resource}`);
    }
  }
  return findings;
}

/** The Allow statements of one role's default policy. */
function statementsOf(template: Template, rolePrefix: string): Statement[] {
  const roleId = logicalIdOf(template, 'AWS::IAM::Role', rolePrefix);
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } });
  return Object.values(policies).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
  );
}

const arnOf = (template: Template, type: string, prefix: string) => ({
  'Fn::GetAtt': [logicalIdOf(template, type, prefix), 'Arn'],
});

let template: Template;
let variants: Record<string, Template>;

beforeAll(() => {
  // GIVEN the stack with its defaults, and with every option that adds permissions
  ({ template } = synthStack());
  variants = {
    default: template,
    'tracing and alarm e-mail': synthStack({ receiver: { tracing: true, alarmEmail: 'oncall@example.com' } })
      .template,
    'existing secret by name with a customer key': synthStack({
      signingSecretName: 'ofauth/signing',
      signingSecretKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8091-a2b3c4d5e6f7',
    }).template,
    'existing secret by partial ARN': synthStack({
      signingSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ofauth/signing',
    }).template,
  };
});

describe('wildcard permissions', () => {
  it.each([
    'default',
    'tracing and alarm e-mail',
    'existing secret by name with a customer key',
    'existing secret by partial ARN',
  ])('grants no wildcard data-plane permission and no managed policy (%s)', (variant) => {
    expect(wildcardFindings(variants[variant]!)).toEqual([]);
  });

  it('fails on the grants CDK helpers write for a table with an index (the check can fail)', () => {
    // GIVEN the receiver plus a helper grant that adds `index/*` and a queue `sqs:*`-style grant
    const app = newApp();
    const stack = new OFAuthWebhookReceiverStack(app, 'Receiver');
    stack.receiver.connectionsTable.grantReadWriteData(stack.receiver.verifier);
    new Queue(stack, 'Other').grant(stack.receiver.processor, 'sqs:*');
    // WHEN the template is checked
    const findings = wildcardFindings(Template.fromStack(stack));
    // THEN both are reported
    expect(findings).toEqual(
      expect.arrayContaining([expect.stringContaining('/index/*'), expect.stringContaining('action sqs:*')]),
    );
  });
});

describe('verifier', () => {
  it('may read only its secret, use only its ledger items and send only to its two queues', () => {
    const statements = statementsOf(template, 'ReceiverVerifierRole');
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: arnOf(template, 'AWS::Logs::LogGroup', 'ReceiverVerifierLogGroup'),
      },
      {
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: { Ref: logicalIdOf(template, 'AWS::SecretsManager::Secret', 'ReceiverSigningSecret') },
      },
      {
        Effect: 'Allow',
        Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Resource: arnOf(template, 'AWS::DynamoDB::Table', 'ReceiverLedgerTable'),
      },
      {
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: [
          arnOf(template, 'AWS::SQS::Queue', 'ReceiverDeadLetterQueue'),
          arnOf(template, 'AWS::SQS::Queue', 'ReceiverEventQueue'),
        ],
      },
    ]);
  });

  it('may decrypt an existing secret’s customer key only through Secrets Manager', () => {
    const statements = statementsOf(
      variants['existing secret by name with a customer key']!,
      'ReceiverVerifierRole',
    );
    expect(statements).toEqual(
      expect.arrayContaining([
        {
          Effect: 'Allow',
          Action: 'secretsmanager:GetSecretValue',
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':secretsmanager:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':secret:ofauth/signing-??????',
              ],
            ],
          },
        },
        {
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: 'arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8091-a2b3c4d5e6f7',
          Condition: {
            StringEquals: {
              'kms:ViaService': {
                'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
              },
            },
          },
        },
      ]),
    );
  });

  it('gets no kms permission when the secret uses the AWS-managed key', () => {
    const actions = statementsOf(template, 'ReceiverVerifierRole').flatMap((s) =>
      ([] as string[]).concat(s.Action),
    );
    expect(actions.filter((action) => action.startsWith('kms:'))).toEqual([]);
  });
});

describe('processor', () => {
  it('may consume only its queue, use connection items, query only the clientReferenceId index, send only to the dead-letter queue, archive and keep the processed-events record', () => {
    const statements = statementsOf(template, 'ReceiverProcessorRole');
    const tableArn = arnOf(template, 'AWS::DynamoDB::Table', 'ReceiverConnectionsTable');
    const bucketArn = arnOf(template, 'AWS::S3::Bucket', 'ReceiverArchiveBucket');
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: arnOf(template, 'AWS::Logs::LogGroup', 'ReceiverProcessorLogGroup'),
      },
      {
        Effect: 'Allow',
        Action: [
          'dynamodb:BatchGetItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:ConditionCheckItem',
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ],
        Resource: tableArn,
      },
      {
        Effect: 'Allow',
        Action: 'dynamodb:Query',
        Resource: { 'Fn::Join': ['', [tableArn, '/index/byClientReferenceId']] },
      },
      {
        // A message that can never be processed goes straight to the dead-letter queue.
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: arnOf(template, 'AWS::SQS::Queue', 'ReceiverDeadLetterQueue'),
      },
      {
        Effect: 'Allow',
        Action: [
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:ReceiveMessage',
        ],
        Resource: arnOf(template, 'AWS::SQS::Queue', 'ReceiverEventQueue'),
      },
      {
        Effect: 'Allow',
        Action: 'firehose:PutRecordBatch',
        Resource: arnOf(template, 'AWS::KinesisFirehose::DeliveryStream', 'ReceiverArchiveDeliveryStream'),
      },
      {
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [bucketArn, '/events/*']] },
      },
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        Resource: arnOf(template, 'AWS::DynamoDB::Table', 'ReceiverProcessedEventsTable'),
      },
    ]);
  });

  it('has no access to the ledger or the secret', () => {
    const resources = JSON.stringify(statementsOf(template, 'ReceiverProcessorRole').map((s) => s.Resource));
    for (const prefix of ['ReceiverLedgerTable', 'ReceiverSigningSecret']) {
      expect({ prefix, found: resources.includes(prefix) }).toEqual({ prefix, found: false });
    }
  });
});

describe('roles', () => {
  it('lets only Lambda assume the two function roles, and only Firehose for this account the archive role, with no managed policy attached', () => {
    template.resourceCountIs('AWS::IAM::Role', 3);
    const trust = (id: string) => template.toJSON().Resources[id].Properties.AssumeRolePolicyDocument;
    for (const prefix of ['ReceiverVerifierRole', 'ReceiverProcessorRole']) {
      expect(trust(logicalIdOf(template, 'AWS::IAM::Role', prefix))).toEqual({
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
        ],
        Version: '2012-10-17',
      });
    }
    expect(trust(logicalIdOf(template, 'AWS::IAM::Role', 'ReceiverArchiveDeliveryRole'))).toEqual({
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'AWS::AccountId' } } },
          Effect: 'Allow',
          Principal: { Service: 'firehose.amazonaws.com' },
        },
      ],
      Version: '2012-10-17',
    });
    template.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });

  it('lets Firehose write objects only under events/ and errors/, list the bucket and write its own log stream', () => {
    const bucketArn = arnOf(template, 'AWS::S3::Bucket', 'ReceiverArchiveBucket');
    const logGroupArn = arnOf(template, 'AWS::Logs::LogGroup', 'ReceiverArchiveDeliveryLogGroup');
    expect(statementsOf(template, 'ReceiverArchiveDeliveryRole')).toEqual([
      {
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        Resource: [
          { 'Fn::Join': ['', [bucketArn, '/errors/*']] },
          { 'Fn::Join': ['', [bucketArn, '/events/*']] },
        ],
      },
      {
        Effect: 'Allow',
        Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        Resource: bucketArn,
      },
      { Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: expect.anything() },
    ]);
    const logStatement = JSON.stringify(statementsOf(template, 'ReceiverArchiveDeliveryRole')[2]);
    expect(logStatement).toContain(':log-stream:S3Delivery');
    expect(logStatement).toContain(logGroupArn['Fn::GetAtt'][0]!.replace(/[0-9A-F]{8}$/, ''));
  });
});

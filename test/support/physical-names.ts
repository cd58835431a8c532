/**
 * Physical names in a synthesized template: a resource named by the construct would collide with
 * the same resource of a second receiver (or a second stack) in the account.
 */

/** The property that names each resource type the receiver creates. */
const NAME_PROPERTY: Readonly<Record<string, string>> = {
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::CloudWatch::Dashboard': 'DashboardName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::SecretsManager::Secret': 'Name',
};

/** The logical ids of the template's resources that are given a physical name. */
export function physicallyNamed(
  resources: Readonly<Record<string, { Type: string; Properties?: Record<string, unknown> }>>,
): string[] {
  return Object.entries(resources)
    .filter(
      ([, r]) => NAME_PROPERTY[r.Type] !== undefined && r.Properties?.[NAME_PROPERTY[r.Type]!] !== undefined,
    )
    .map(([id]) => id);
}

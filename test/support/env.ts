// Runs in every test worker before the tests: no test may reach a real AWS account.
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = 'test';
process.env.AWS_SECRET_ACCESS_KEY = 'test';
delete process.env.AWS_SESSION_TOKEN;
delete process.env.AWS_PROFILE;
process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.POWERTOOLS_METRICS_NAMESPACE ??= 'OFAuthWebhooksTest';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

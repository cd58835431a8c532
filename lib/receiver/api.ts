/**
 * The endpoint OFAuth posts to: an HTTP API with one route to the verifier, a throttled default
 * stage and JSON access logs.
 */
import { type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { WEBHOOK_PATH } from '../../lambda/shared/deployment-names.ts';

export { WEBHOOK_PATH };

/** What the API needs. */
export interface ApiOptions {
  readonly verifier: IFunction;
  readonly throttleRateLimit: number;
  readonly throttleBurstLimit: number;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** The API, its stage and access log group, and the URL to paste into the OFAuth Dashboard. */
export interface ReceiverApi {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogGroup: LogGroup;
  readonly webhookUrl: string;
}

/**
 * One JSON object per request: who asked, what was answered, how long it took, what failed. Kept
 * lean (about 250 bytes a line) because log ingestion is part of the cost per event.
 */
export const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    sourceIp: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    routeKey: '$context.routeKey',
    status: '$context.status',
    responseLatency: '$context.responseLatency',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    error: '$context.error.message',
  }),
);

/** `POST /webhooks/ofauth` → verifier; every other method and path answers 404 without reaching it. */
export function buildApi(scope: Construct, options: ApiOptions): ReceiverApi {
  const accessLogGroup = new LogGroup(scope, 'AccessLogGroup', {
    retention: options.logRetention,
    removalPolicy: options.removalPolicy,
  });
  const httpApi = new HttpApi(scope, 'HttpApi', {
    description: 'Receives OFAuth Realtime webhooks.',
    createDefaultStage: false,
  });
  const stage = new HttpStage(scope, 'DefaultStage', {
    httpApi,
    stageName: '$default',
    autoDeploy: true,
    throttle: { rateLimit: options.throttleRateLimit, burstLimit: options.throttleBurstLimit },
    accessLogSettings: { destination: new LogGroupLogDestination(accessLogGroup), format: ACCESS_LOG_FORMAT },
  });
  httpApi.addRoutes({
    path: WEBHOOK_PATH,
    methods: [HttpMethod.POST],
    integration: new HttpLambdaIntegration('VerifierIntegration', options.verifier),
  });
  Validations.of(httpApi).acknowledge({
    id: 'AwsSolutions-APIG4',
    reason:
      'OFAuth cannot present IAM, JWT or API-key credentials; every request is authenticated by its HMAC signature (OFAuth-Signature or Svix) in the verifier before anything is stored.',
  });
  return { httpApi, stage, accessLogGroup, webhookUrl: `${httpApi.apiEndpoint}${WEBHOOK_PATH}` };
}

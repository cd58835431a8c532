// Placeholder until the verifier lands: the infrastructure bundles this entry point.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export const handler = async (
  _event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> => ({
  statusCode: 503,
  body: JSON.stringify({ error: 'not_implemented' }),
});

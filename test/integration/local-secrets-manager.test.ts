import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { startLocalSecretsManager } from '../../local/secrets-manager.ts';

describe('local Secrets Manager', () => {
  it('answers GetSecretValue for the real SDK client', async () => {
    // GIVEN a local Secrets Manager holding one secret
    const secrets = await startLocalSecretsManager({ 'ofauth/signing': 'whsec_abc' });
    try {
      const client = new SecretsManagerClient({ endpoint: secrets.endpoint, region: 'us-east-1' });
      // WHEN the SDK reads it
      const value = await client.send(new GetSecretValueCommand({ SecretId: 'ofauth/signing' }));
      // THEN it gets the value, and a missing secret fails as in AWS
      expect(value.SecretString).toBe('whsec_abc');
      await expect(client.send(new GetSecretValueCommand({ SecretId: 'nope' }))).rejects.toThrow(
        /can't find the specified secret/,
      );
      expect(secrets.calls).toBe(2);
    } finally {
      await secrets.stop();
    }
  });
});

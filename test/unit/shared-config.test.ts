/**
 * Reading the environment at start-up (lambda/shared/config.ts), as both functions' config.ts do:
 * values trimmed, blanks read as unset, only positive integers taken as numbers, and an error a
 * cold start reports by its name.
 */
import { ConfigurationError, intEnv, optionalEnv, requireEnv } from '../../lambda/shared/config.ts';

describe('the environment', () => {
  it('reads a required variable trimmed, and fails by name without it', () => {
    expect(requireEnv('TABLE', { TABLE: '  ledger \n' })).toBe('ledger');
    let thrown: unknown;
    try {
      requireEnv('TABLE', { TABLE: '   ' });
    } catch (error) {
      thrown = error;
    }
    // The runtime reports a failed cold start by the error's name (errorType).
    expect(thrown).toBeInstanceOf(ConfigurationError);
    expect(thrown).toMatchObject({
      name: 'ConfigurationError',
      message: 'environment variable TABLE is required but is not set',
    });
  });

  it('reads an optional variable trimmed, blank as unset', () => {
    expect(optionalEnv('NAME', 'fallback', { NAME: ' service ' })).toBe('service');
    expect(optionalEnv('NAME', 'fallback', { NAME: '  ' })).toBe('fallback');
  });

  it('reads a positive integer, blank as unset, and refuses zero', () => {
    expect(intEnv('TTL', 60, { TTL: ' 300 ' })).toBe(300);
    expect(intEnv('TTL', 60, { TTL: '   ' })).toBe(60);
    expect(() => intEnv('TTL', 60, { TTL: '0' })).toThrow(
      'environment variable TTL must be a positive integer, got "0"',
    );
  });
});

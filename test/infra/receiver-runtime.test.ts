import { Runtime, RuntimeFamily } from 'aws-cdk-lib/aws-lambda';
import { esbuildTarget, newestTestedRuntime, TESTED_NODE_RUNTIMES } from '../../lib/receiver/runtime.ts';
import { synthStack } from './support/synth.ts';

describe('the functions’ runtime', () => {
  it('is the newest tested runtime an aws-cdk-lib offers, looked up by name', () => {
    // GIVEN an aws-cdk-lib that offers nodejs26.x (2.278 and later) and one that does not (2.276)
    const node26 = new Runtime('nodejs26.x', RuntimeFamily.NODEJS);
    // WHEN / THEN the newest of the tested ones is taken, and nothing is made up for the older one
    expect(newestTestedRuntime({ NODEJS_24_X: Runtime.NODEJS_24_X, NODEJS_26_X: node26 })).toBe(node26);
    expect(newestTestedRuntime({ NODEJS_24_X: Runtime.NODEJS_24_X })).toBe(Runtime.NODEJS_24_X);
    expect(TESTED_NODE_RUNTIMES[0]).toBe('NODEJS_26_X');
  });

  it('fails when aws-cdk-lib offers none of the tested runtimes', () => {
    expect(() => newestTestedRuntime({})).toThrow(
      'aws-cdk-lib offers none of the Node.js runtimes the receiver is tested on (NODEJS_26_X, NODEJS_24_X)',
    );
  });

  it('is nodejs24.x with the repository’s aws-cdk-lib (the peer range’s minimum), for both functions', () => {
    const { template } = synthStack();
    const runtimes = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (fn) => fn.Properties.Runtime,
    );
    expect(runtimes).toEqual(['nodejs24.x', 'nodejs24.x']);
  });

  it('can be overridden per function with `runtime`', () => {
    const { template } = synthStack({ receiver: { processorProps: { runtime: Runtime.NODEJS_22_X } } });
    const runtimes = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (fn) => `${fn.Properties.Description.split(' ')[0]} ${fn.Properties.Runtime}`,
    );
    expect(runtimes).toEqual(['Verifies nodejs24.x', 'Processes nodejs22.x']);
  });

  it('sets the esbuild target from the runtime', () => {
    expect(esbuildTarget(Runtime.NODEJS_24_X)).toBe('node24');
    expect(esbuildTarget(new Runtime('nodejs26.x', RuntimeFamily.NODEJS))).toBe('node26');
  });

  it('rejects a runtime that is not Node.js as an esbuild target', () => {
    expect(() => esbuildTarget(Runtime.PYTHON_3_13)).toThrow(
      'runtime must be a Node.js runtime, got python3.13',
    );
  });
});

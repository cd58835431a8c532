#!/usr/bin/env node
/**
 * The CDK app entry (`cdk.json` runs it with tsx). Context keys are documented in the README's
 * "Configure" table and parsed in `receiver-app.ts`.
 */
import { App } from 'aws-cdk-lib';
import { InvalidReceiverPropsError } from 'ofauth-webhook-receiver';
import { configureReceiverApp, InvalidContextError } from './receiver-app.ts';

const app = new App();
try {
  configureReceiverApp(app);
} catch (error) {
  // A bad setting is the user's to fix: say which, one line each, without a stack trace.
  if (error instanceof InvalidContextError) {
    for (const problem of error.problems) process.stderr.write(`error: ${problem}\n`);
    process.exit(1);
  }
  if (error instanceof InvalidReceiverPropsError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
app.synth();

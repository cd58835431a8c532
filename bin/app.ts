#!/usr/bin/env node
/**
 * The CDK app entry (`cdk.json` runs it with tsx). Context keys are documented in the README's
 * Configuration table and parsed in `receiver-app.ts`.
 */
import { App } from 'aws-cdk-lib';
import { configureReceiverApp } from './receiver-app.ts';

const app = new App();
configureReceiverApp(app);
app.synth();

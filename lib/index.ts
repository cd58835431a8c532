/** The public surface of the infrastructure: the receiver construct, its monitoring and the stack. */
export * from './receiver-monitoring.ts';
export * from './receiver-stack.ts';
export * from './webhook-receiver.ts';

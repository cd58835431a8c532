/** The public surface of the infrastructure: the receiver construct, its parts and the stack. */
export * from './processed-events-table.ts';
export * from './receiver-archive.ts';
export * from './receiver-monitoring.ts';
export * from './receiver-stack.ts';
export * from './webhook-receiver.ts';

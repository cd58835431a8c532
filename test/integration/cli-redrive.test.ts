/**
 * `redrive` against real queues (fauxqs) named by URL, as a deployed stack's are: the path a
 * deployed redrive takes, with the confirmation and the verifier's rejected bodies.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { AwsClients } from '../../cli/queues.ts';
import { runRedrive } from '../../cli/redrive.ts';
import { answeringTerminal, captureIo } from '../support/cli-io.ts';
import { createTestResources } from '../support/emulators.ts';
import { queueDepth } from './verifier-harness.ts';

/** No state file: the queues are only ever the ones named by URL. */
const NO_LOCAL_PIPELINE = { env: { OFAUTH_LOCAL_STATE_FILE: '/nonexistent/ofauth-pipeline.json' } };

const text = (value: string) => ({ DataType: 'String', StringValue: value });

/** A dead-letter queue with one event the processor gave up on and one of the verifier's rejected bodies. */
async function deadLetters() {
  const resources = await createTestResources();
  const { sqs, deadLetterQueueUrl } = resources;
  const put = (group: string, body: string, attributes: Record<string, ReturnType<typeof text>>) =>
    sqs.send(
      new SendMessageCommand({
        QueueUrl: deadLetterQueueUrl,
        MessageBody: body,
        MessageGroupId: group,
        MessageDeduplicationId: randomUUID(),
        MessageAttributes: attributes,
      }),
    );
  await put('conn_1', '{"type":"connection.created"}', {
    eventKey: text('evt_1'),
    eventType: text('connection.created'),
  });
  await put('rejected', 'not json', {
    eventKey: text('key_rejected'),
    rejectionReason: text('invalid_json'),
    bodyEncoding: text('utf8'),
  });
  const clients: AwsClients = {
    cloudformation: () => new CloudFormationClient({ region: 'us-east-1' }),
    sqs: () => sqs,
    cloudwatch: () => new CloudWatchClient({ region: 'us-east-1' }),
  };
  const urls = ['--queue-url', resources.queueUrl, '--dead-letter-queue-url', deadLetterQueueUrl];
  return { ...resources, clients, urls };
}

describe('redrive of queues named by URL (the deployed path)', () => {
  it('rejects a run without a terminal and without --yes, after naming the target, and moves nothing', async () => {
    // GIVEN two dead letters
    const { sqs, queueUrl, deadLetterQueueUrl, clients, urls } = await deadLetters();
    // WHEN redriving with no terminal to ask on
    const out = captureIo(NO_LOCAL_PIPELINE);
    const run = runRedrive(urls, out.io, clients, { terminal: answeringTerminal(false) });
    // THEN it refuses as a usage error; the target was named first; both messages stay
    await expect(run).rejects.toThrow(
      'refusing to redrive without confirmation: standard input is not a terminal; pass --yes',
    );
    expect(out.out()).toBe(
      [
        'redrive  the queues named by URL, region us-east-1',
        `  from   ${deadLetterQueueUrl}   (2 messages)`,
        `  to     ${queueUrl}`,
        "  the verifier's rejected bodies: left in place (--export-rejected FILE or --drop-rejected removes them)",
        '',
      ].join('\n'),
    );
    expect(await queueDepth(sqs, deadLetterQueueUrl)).toBe(2);
    expect(await queueDepth(sqs, queueUrl)).toBe(0);
  });

  it('fails when the answer on the terminal is not yes, and moves nothing', async () => {
    // GIVEN two dead letters and a terminal whose user answers "n"
    const { sqs, queueUrl, deadLetterQueueUrl, clients, urls } = await deadLetters();
    const asking = answeringTerminal(true, 'n');
    // WHEN redriving
    const run = runRedrive(urls, captureIo(NO_LOCAL_PIPELINE).io, clients, { terminal: asking });
    // THEN it asked about that target, and cancelled
    await expect(run).rejects.toThrow('redrive cancelled: nothing was moved');
    expect(asking.asked).toEqual([
      'redrive the dead-letter queue of the queues named by URL, region us-east-1? [y/N] ',
    ]);
    expect(await queueDepth(sqs, deadLetterQueueUrl)).toBe(2);
    expect(await queueDepth(sqs, queueUrl)).toBe(0);
  });

  it("moves the event after a yes and leaves the verifier's rejected body, counted as skipped", async () => {
    // GIVEN two dead letters and a user who answers "y"
    const { sqs, queueUrl, deadLetterQueueUrl, clients, urls } = await deadLetters();
    // WHEN redriving
    const out = captureIo(NO_LOCAL_PIPELINE);
    const code = await runRedrive(urls, out.io, clients, { terminal: answeringTerminal(true, 'y') });
    // THEN the event is on the event queue, the rejected body still on the dead-letter queue
    expect(code).toBe(0);
    expect(out.out()).toContain(
      'moved 1 message back to the event queue (2 on the dead-letter queue at the start); skipped 1 verifier rejection (left on the dead-letter queue)\n',
    );
    expect(await queueDepth(sqs, queueUrl)).toBe(1);
    expect(await queueDepth(sqs, deadLetterQueueUrl)).toBe(1);
  });

  it("exports the verifier's rejected bodies to a file with --export-rejected, then removes them", async () => {
    // GIVEN two dead letters and a folder for the export
    const { sqs, queueUrl, deadLetterQueueUrl, clients, urls } = await deadLetters();
    const dir = await mkdtemp(join(tmpdir(), 'ofauth-redrive-'));
    const file = join(dir, 'rejected.jsonl');
    try {
      // WHEN redriving with --yes and --export-rejected
      const out = captureIo(NO_LOCAL_PIPELINE);
      const code = await runRedrive([...urls, '--yes', '--export-rejected', file], out.io, clients);
      // THEN the rejected body is one JSON line of the file, off the queue; the event was moved
      expect(code).toBe(0);
      expect(out.out()).toContain(`  the verifier's rejected bodies: appended to ${file}, then deleted\n`);
      expect(out.out()).toContain(
        'moved 1 message back to the event queue (2 on the dead-letter queue at the start); removed 1 verifier rejection\n',
      );
      const lines = (await readFile(file, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(lines).toEqual([
        expect.objectContaining({
          messageGroupId: 'rejected',
          body: 'not json',
          attributes: { eventKey: 'key_rejected', rejectionReason: 'invalid_json', bodyEncoding: 'utf8' },
        }),
      ]);
      expect(await queueDepth(sqs, deadLetterQueueUrl)).toBe(0);
      expect(await queueDepth(sqs, queueUrl)).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

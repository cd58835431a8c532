/**
 * The JSON Schemas of published events (`schemas/`, `lambda/shared/event-schemas.ts`): the
 * committed files are what the event model generates today, and the `detail` the processor
 * publishes for every example payload validates against the schema of its type (with ajv, a
 * draft-4-capable validator already among the dev tools' dependencies).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { publishedEntry } from '../../lambda/processor/event-bus.ts';
import { readQueuedEvent } from '../../lambda/processor/queued-event.ts';
import { isKnownEventType } from '../../lambda/shared/event-model.ts';
import { SCHEMA_EVENT_TYPES, schemaFileName, schemaFileText } from '../../lambda/shared/event-schemas.ts';
import { fixtureEvent, fixtureFiles } from '../fixtures/events.ts';
import { sqsRecord } from '../fixtures/sqs-events.ts';

const SCHEMAS_FOLDER = new URL('../../schemas/', import.meta.url);
const committed = (file: string) => readFileSync(new URL(file, SCHEMAS_FOLDER), 'utf8');

/** A validator of a committed schema: draft 4 is read as the draft-7 subset it is. */
function validatorOf(type: string) {
  const { $schema: _draft, ...schema } = JSON.parse(committed(`${type}.json`));
  return new Ajv({ strict: false, allErrors: true }).compile(schema);
}

/** The `detail` the processor publishes for a delivery body. */
function publishedDetail(body: string, eventKey = 'msg_schema_1'): unknown {
  const queued = readQueuedEvent(sqsRecord({ body, eventKey, receivedAt: '2026-01-05T10:00:01.000Z' }));
  return JSON.parse(publishedEntry(queued, 'default').Detail);
}

describe('published event schemas', () => {
  it('commits exactly the schemas the event model generates (run npm run schemas after a change)', () => {
    // GIVEN the committed folder WHEN the schemas are generated afresh THEN the files are equal
    const files = readdirSync(SCHEMAS_FOLDER)
      .filter((file) => file.endsWith('.json'))
      .sort();
    expect(files).toEqual(SCHEMA_EVENT_TYPES.map(schemaFileName).sort());
    for (const type of SCHEMA_EVENT_TYPES) expect(committed(schemaFileName(type))).toBe(schemaFileText(type));
  });

  it('declares draft 4, as the EventBridge schema registry takes it', () => {
    for (const type of SCHEMA_EVENT_TYPES) {
      expect(JSON.parse(committed(schemaFileName(type)))).toMatchObject({
        $schema: 'http://json-schema.org/draft-04/schema#',
        type: 'object',
        required: expect.arrayContaining(['event', 'eventKey', 'eventTime', 'replay']),
      });
    }
  });

  const examples = fixtureFiles()
    .map((file) => ({ file, body: JSON.stringify(fixtureEvent(file)) }))
    .map((example) => ({
      ...example,
      type: String(JSON.parse(example.body).type ?? JSON.parse(example.body).eventType),
    }))
    .filter((example) => isKnownEventType(example.type));

  it('has an example payload for every type with a schema', () => {
    expect([...new Set(examples.map((example) => example.type))].sort()).toEqual([...SCHEMA_EVENT_TYPES]);
  });

  it.each(examples)('validates the published detail of $file against its type', ({ type, body }) => {
    // GIVEN an example delivery WHEN the processor builds its detail THEN its schema accepts it
    const validate = validatorOf(type);
    expect(validate(publishedDetail(body))).toBe(true);
    expect(validate.errors ?? []).toEqual([]);
  });

  it('rejects a detail without its event key, or of another type', () => {
    // GIVEN a valid detail of connection.created
    const detail = publishedDetail(JSON.stringify(fixtureEvent('connection.created.json'))) as Record<
      string,
      unknown
    >;
    const { eventKey: _key, ...withoutKey } = detail;

    // WHEN it lacks its key, or is checked against connection.updated THEN the schema refuses it
    expect(validatorOf('connection.created')(withoutKey)).toBe(false);
    expect(validatorOf('connection.updated')(detail)).toBe(false);
  });
});

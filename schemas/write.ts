/**
 * Writes the JSON Schema of every published event type to this folder (`npm run schemas`). The
 * files are committed and shipped in the package; a unit test fails when they differ from a fresh
 * generation, so a change to the event model must come with its schemas.
 */
import { writeFileSync } from 'node:fs';
import { SCHEMA_EVENT_TYPES, schemaFileName, schemaFileText } from '../lambda/shared/event-schemas.ts';

for (const type of SCHEMA_EVENT_TYPES) {
  const file = new URL(schemaFileName(type), import.meta.url);
  writeFileSync(file, schemaFileText(type));
  console.log(`wrote schemas/${schemaFileName(type)}`);
}

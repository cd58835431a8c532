/**
 * How event data becomes DynamoDB items and back, for every document client of the kit (the
 * processor's tables; the local inspector and `trace` read them the same way).
 *
 * Numbers stay JavaScript numbers both ways. An event's body was parsed with `JSON.parse`, so an
 * integer beyond `Number.MAX_SAFE_INTEGER` is already the nearest double when a handler sees it;
 * it is stored as that double (`allowImpreciseNumbers`) and read back as the same number
 * (`wrapNumbers: Number`), instead of the document client's defaults: refusing the write (a
 * failure that would be retried for nothing, holding the connection back) and reading such a
 * number as a `BigInt`, which `JSON.stringify` cannot write. Fields left `undefined` are dropped,
 * so that optional event fields never fail a write.
 */
import type { TranslateConfig } from '@aws-sdk/lib-dynamodb';

/** The translation every document client of the kit uses. */
export const DOCUMENT_TRANSLATION: TranslateConfig = {
  marshallOptions: { removeUndefinedValues: true, allowImpreciseNumbers: true },
  unmarshallOptions: { wrapNumbers: (value: string) => Number(value) },
};

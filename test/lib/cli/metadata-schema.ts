/** Validates metadata documents against the JSON Schema in the repository (schemas/). */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SCHEMA_PATH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../schemas/metadata.schema.json',
);

let validate: (((data: unknown) => boolean) & { errors?: unknown }) | undefined;

/** Asserts that `record` conforms to schemas/metadata.schema.json. */
export function validateMetadata(record: unknown): void {
  if (validate === undefined) {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats.default(ajv);
    validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object);
  }
  const valid = validate(record);
  expect(valid, JSON.stringify(validate.errors, null, 2)).to.equal(true);
}

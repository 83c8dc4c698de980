import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { ARM_DIR, buildAllParams } from '../../scripts/bicep-cli.js';
import { type Infra, loadInfra, requireBicep } from './infra.js';

/** Every ARM function that returns a key or a SAS token. */
const SECRET_FUNCTIONS =
  /\blist(Keys|AccountSas|ServiceSas|ConnectionStrings|Secrets|Credentials?)\(/i;
/** Literal fragments of keys, SAS tokens and key-based telemetry settings. */
const SECRET_TEXT =
  /AccountKey=|SharedAccessSignature|SharedAccessKey|[?&]sig=|InstrumentationKey/i;

describe('bicep: compiled templates', function () {
  let infra: Infra;

  before(function () {
    requireBicep(this);
    infra = loadInfra();
  });

  it('deploys both templates at resource-group scope', function () {
    for (const [name, text] of Object.entries(infra.compiled)) {
      expect(JSON.parse(text).$schema, name).to.match(/\/deploymentTemplate\.json#$/);
    }
  });

  it('never reads a key or builds a SAS token anywhere in the compiled ARM JSON', function () {
    for (const [name, text] of Object.entries(infra.compiled)) {
      expect(text, name).to.not.match(SECRET_FUNCTIONS);
      expect(text, name).to.not.match(SECRET_TEXT);
    }
  });

  it('outputs only names, never a secret or a connection string', function () {
    for (const [name, text] of Object.entries(infra.compiled)) {
      const outputs =
        (JSON.parse(text) as { outputs?: Record<string, { type: string }> }).outputs ?? {};
      for (const [output, definition] of Object.entries(outputs)) {
        expect(definition.type, `${name}.${output}`).to.equal('string');
        expect(output, `${name}.${output}`).to.not.match(/key|secret|connection|password|sas/i);
      }
    }
    expect(infra.outputs).to.include.keys(
      'FUNCTION_APP_NAME',
      'SYSTEM_TOPIC_NAME',
      'IMAGES_STORAGE_ACCOUNT',
      'HOST_STORAGE_ACCOUNT',
    );
  });

  it('declares no secure parameter that would need a secret at deployment', function () {
    for (const [name, text] of Object.entries(infra.compiled)) {
      const parameters =
        (JSON.parse(text) as { parameters?: Record<string, { type: string }> }).parameters ?? {};
      for (const [parameter, definition] of Object.entries(parameters)) {
        expect(definition.type, `${name}.${parameter}`).to.not.match(/^secure/);
      }
    }
  });

  it('names the dev environment in the dev parameters file and lets the uploader default to the deployer', function () {
    const file = buildAllParams({ ALERT_EMAIL: '' })['main.dev']!;
    const parameters = (
      JSON.parse(readFileSync(file, 'utf8')) as { parameters: Record<string, { value: unknown }> }
    ).parameters;
    expect(parameters['environmentName']?.value).to.equal('dev');
    expect(parameters).to.not.have.property('uploaderPrincipalId');
    expect(file.startsWith(ARM_DIR)).to.equal(true);
  });

  it("keeps every storage-derived name within Azure's limits", function () {
    for (const account of [
      infra.outputs.HOST_STORAGE_ACCOUNT,
      infra.outputs.IMAGES_STORAGE_ACCOUNT,
    ]) {
      expect(account).to.match(/^[a-z0-9]{3,24}$/);
    }
    expect(infra.outputs.FUNCTION_APP_NAME).to.match(/^func-img-dev-[a-z0-9]{13}$/);
  });
});

import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { useAzurite } from '../helpers/azurite.js';
import { createContainers, fixture, list, testConfig, upload } from './support.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const OUT = path.join(ROOT, '.local', 'compiled-test');

describe('the compiled function app (plain node, no tsx)', function () {
  this.timeout(180_000);
  const azurite = useAzurite();

  before(async () => {
    // The same compilation as `npm run build`, into a git-ignored folder of its own so it
    // never races a build of dist/. Type errors elsewhere must not hide this test's point.
    await run(process.execPath, [
      path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      path.join(ROOT, 'tsconfig.build.json'),
      '--outDir',
      OUT,
    ]).catch((error: { stdout?: string }) => {
      console.warn(`tsc reported errors (output still emitted):\n${error.stdout ?? ''}`);
    });
  });

  it('loads the registrations under native ESM and handles an event with InvocationContext', async () => {
    const config = testConfig(azurite.connectionString, 'compiled');
    await createContainers(azurite.serviceClient, config);
    const event = await upload(
      azurite.serviceClient,
      config.containers.input,
      'compiled.jpg',
      fixture('jpeg/camera-exif-gps.jpg'),
    );
    const script = path.join(OUT, 'invoke.mjs');
    await mkdir(OUT, { recursive: true });
    await writeFile(
      script,
      `import './functions/index.js';
import { processImageEvent } from './functions/index.js';
import { azureFunctions } from './functions/azure-functions.js';
const context = new azureFunctions.InvocationContext({ invocationId: 'compiled', functionName: 'processImage', logHandler: () => {} });
const outcome = await processImageEvent(JSON.parse(process.argv[2]), context);
console.log(JSON.stringify(outcome));
`,
    );
    const { stdout } = await run(process.execPath, [script, JSON.stringify(event)], {
      env: {
        PATH: process.env.PATH,
        IMAGES_STORAGE: azurite.connectionString,
        IMG_INPUT_CONTAINER: config.containers.input,
        IMG_OUTPUT_CONTAINER: config.containers.output,
        IMG_THUMBNAIL_CONTAINER: config.containers.thumbnails,
        IMG_METADATA_CONTAINER: config.containers.metadata,
        IMG_DEADLETTER_CONTAINER: config.containers.deadletter,
      },
    });
    const outcome = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { status: string };
    expect(outcome.status).to.equal('succeeded');
    expect(await list(azurite.serviceClient, config.containers.metadata)).to.deep.equal([
      'compiled.jpg.json',
    ]);
  });
});

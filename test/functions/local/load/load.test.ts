import { spawn } from 'node:child_process';
import { expect } from 'chai';

/** Runs the load tool like `npm run load -- …` and returns its exit code and output. */
function runLoad(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'functions/local/load.ts', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run load (end to end on Azurite)', function () {
  // The first run on a fresh clone also encodes the base images (up to 24 MP) once.
  this.timeout(240_000);

  it('accounts for every upload of a burst over two instances and prints one JSON object with --json', async () => {
    const { code, stdout, stderr } = await runLoad([
      '--images',
      '6',
      '--instances',
      '2',
      '--concurrency',
      '4',
      '--instance-memory-mb',
      '1024',
      '--delivery-timeout-s',
      '30',
      '--retry-schedule-scale',
      '0.01',
      '--json',
    ]);
    expect(code, stderr).to.equal(0);
    const lines = stdout.trim().split('\n');
    expect(lines).to.have.length(1);
    const report = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(report)).to.deep.equal([
      'uploaded',
      'completed',
      'failed',
      'failedByCode',
      'deadLettered',
      'lost',
      'duplicates',
      'imagesPerSecond',
      'latencyMs',
      'peakRssMb',
      'instances',
      'instanceMemoryMb',
      'peakInstanceRssMb',
      'deliveries',
      'deliveriesTimedOut',
      'shed',
      'late',
      'redundantRuns',
    ]);
    expect(Object.keys(report.late as object)).to.deep.equal([
      'answerMs',
      'overWindowInHost',
      'hostQueueMs',
      'functionMs',
    ]);
    expect(report).to.include({
      uploaded: 6,
      lost: 0,
      duplicates: 0,
      deadLettered: 0,
      instances: 2,
      instanceMemoryMb: 1024,
    });
    expect(Number(report.completed) + Number(report.failed)).to.equal(6);
    expect(report.deliveries).to.be.at.least(6);
    expect(Object.keys(report.latencyMs as object)).to.deep.equal(['p50', 'p95', 'p99']);
    expect(report.peakInstanceRssMb).to.be.a('number').greaterThan(0);
  });

  it('refuses a count that is not a positive integer, and a mix it does not know', async () => {
    const { code, stderr } = await runLoad(['--images', 'many']);
    expect(code).to.equal(2);
    expect(stderr).to.match(/Expected a positive integer for --images but received many/);
    const mix = await runLoad(['--mix', 'huge']);
    expect(mix.code).to.equal(2);
    expect(mix.stderr).to.match(/Expected default or heavy for --mix but received huge/);
  });
});

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../../scripts/bicep-cli.js';

interface Hook {
  shell?: string;
  run?: string;
  posix?: Hook;
  windows?: Hook;
}
interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, { env: Record<string, string>; steps: Step[] }>;
}

const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

/** The environment variables a parameters file reads. */
function variablesRead(paramsFile: string): string[] {
  return [...read(paramsFile).matchAll(/readEnvironmentVariable\('([A-Z_]+)'/g)].map((m) => m[1]!);
}

/**
 * Each command line of a script with its continuation lines joined (`\` in sh, a backtick in
 * PowerShell), so a multi-line `az` call is checked as one.
 */
function commands(script: string): string[] {
  return script
    .replace(/[\\`]\r?\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

describe('azd: azure.yaml', function () {
  const project = parse(read('azure.yaml')) as {
    requiredVersions: { azd: string };
    services: Record<string, { remoteBuild: boolean; hooks: Record<string, Hook> }>;
    hooks: Record<string, Hook>;
    pipeline: { variables: string[] };
  };
  const allHooks = (): [string, Hook][] => [
    ...Object.entries(project.hooks),
    ...Object.entries(project.services['functions']!.hooks).map(
      ([name, hook]) => [`functions.${name}`, hook] as [string, Hook],
    ),
  ];

  it('states the minimum azd, one that knows remoteBuild for Flex Consumption', function () {
    expect(project.requiredVersions.azd).to.match(/^>= ?\d+\.\d+\.\d+$/);
    const [major, minor, patch] = project.requiredVersions.azd
      .replace(/^>= ?/, '')
      .split('.')
      .map(Number);
    expect((major! * 1000 + minor!) * 1000 + patch!).to.be.at.least((1 * 1000 + 23) * 1000 + 6);
    expect(project.services['functions']!.remoteBuild).to.equal(false);
  });

  it("hands the pipeline every setting of the parameters file except the person's own principal", function () {
    const settings = variablesRead('bicep/main.bicepparam').filter(
      (name) => !['AZURE_ENV_NAME', 'AZURE_LOCATION'].includes(name),
    );
    const principal = ['AZURE_PRINCIPAL_TYPE', 'UPLOADER_PRINCIPAL_ID'];
    expect(project.pipeline.variables).to.have.members([
      'AZURE_RESOURCE_GROUP',
      ...settings.filter((name) => !principal.includes(name)),
    ]);
  });

  it('waits for the app identity after provisioning and subscribes Event Grid after deploying', function () {
    expect(Object.keys(project.hooks)).to.have.members(['postprovision', 'postdeploy']);
  });

  it('gives every hook a POSIX form in sh and a Windows form in pwsh, and no shared form', function () {
    for (const [name, hook] of allHooks()) {
      expect(hook.run, name).to.equal(undefined);
      expect(hook.posix?.shell, name).to.equal('sh');
      expect(hook.windows?.shell, name).to.equal('pwsh');
    }
  });

  it('runs script twins that exist: a .sh file for POSIX and the .ps1 of the same name for Windows', function () {
    for (const [name, hook] of Object.entries(project.hooks)) {
      const posix = hook.posix!.run!;
      const windows = hook.windows!.run!;
      expect(posix, name).to.match(/^\.\/scripts\/[a-z-]+\.sh$/);
      expect(windows, name).to.equal(posix.replace(/\.sh$/, '.ps1'));
      expect(existsSync(join(ROOT, posix)), posix).to.equal(true);
      expect(existsSync(join(ROOT, windows)), windows).to.equal(true);
    }
  });
});

describe('azd: hook scripts', function () {
  const scripts = [
    'scripts/hook-common.sh',
    'scripts/postprovision.sh',
    'scripts/postdeploy.sh',
    'scripts/hook-common.ps1',
    'scripts/postprovision.ps1',
    'scripts/postdeploy.ps1',
  ];

  it("names azd's subscription in every Azure CLI call, in both shells", function () {
    for (const script of scripts) {
      const calls = commands(read(script)).filter((line) => /(^|[\s=(])az\s+[a-z]/.test(line));
      expect(calls, script).to.not.deep.equal([]);
      for (const call of calls) {
        expect(call, `${script}: ${call}`).to.match(
          /--subscription\s+"?\$(env:)?AZURE_SUBSCRIPTION_ID/,
        );
      }
    }
  });

  it('requires the same variables in the shell hook and its PowerShell twin', function () {
    for (const hook of ['postprovision', 'postdeploy']) {
      const sh = /require_env ([A-Z_ ]+)/
        .exec(read(`scripts/${hook}.sh`))![1]!
        .trim()
        .split(/\s+/);
      const ps = [
        .../Assert-Env (.+)/.exec(read(`scripts/${hook}.ps1`))![1]!.matchAll(/'([A-Z_]+)'/g),
      ].map((m) => m[1]);
      expect(ps, hook).to.deep.equal(sh);
    }
  });
});

/** A stand-in `az` on PATH that logs its arguments and answers from FAKE_* variables. */
class FakeAz {
  readonly dir = mkdtempSync(join(tmpdir(), 'fake-az-'));
  readonly log = join(this.dir, 'calls.log');

  constructor() {
    const az = join(this.dir, 'az');
    writeFileSync(
      az,
      [
        '#!/bin/sh',
        'echo "$*" >> "$FAKE_AZ_LOG"',
        'count() { n=$(cat "$FAKE_AZ_DIR/$1" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "$FAKE_AZ_DIR/$1"; echo "$n"; }',
        'case "$1 $2" in',
        '  "account show") [ "$FAKE_LOGGED_IN" = yes ] || exit 1; echo "$AZURE_SUBSCRIPTION_ID" ;;',
        '  "storage account") echo "/subscriptions/$AZURE_SUBSCRIPTION_ID/resourceGroups/$AZURE_RESOURCE_GROUP/providers/Microsoft.Storage/storageAccounts/$HOST_STORAGE_ACCOUNT" ;;',
        '  "role assignment") n=$(count roles); if [ "$n" -ge "$FAKE_ROLE_FROM_CALL" ]; then echo "$FAKE_ROLE_CREATED"; fi ;;',
        '  "functionapp function") n=$(count functions); [ "$n" -ge "$FAKE_FUNCTION_FROM_CALL" ] || exit 3; echo processImage ;;',
        '  "deployment group") exit 0 ;;',
        '  *) echo "unexpected az $*" >&2; exit 9 ;;',
        'esac',
        '',
      ].join('\n'),
    );
    chmodSync(az, 0o755);
  }

  /** Runs a hook with the fake first on PATH; `env` adds to (or, with '', removes from) the defaults. */
  run(script: string, env: Record<string, string>) {
    const base: Record<string, string> = {
      ...(process.env as Record<string, string>),
      PATH: `${this.dir}:${process.env['PATH']}`,
      FAKE_AZ_LOG: this.log,
      FAKE_AZ_DIR: this.dir,
      FAKE_LOGGED_IN: 'yes',
      FAKE_ROLE_FROM_CALL: '1',
      FAKE_ROLE_CREATED: new Date(Date.now() - 3_600_000).toISOString(),
      FAKE_FUNCTION_FROM_CALL: '1',
      HOOK_POLL_SECONDS: '0',
      HOOK_POLL_ATTEMPTS: '4',
      AZURE_SUBSCRIPTION_ID: '00000000-0000-0000-0000-0000000000aa',
      AZURE_RESOURCE_GROUP: 'rg-test',
      HOST_STORAGE_ACCOUNT: 'sthosttest',
      APP_IDENTITY_PRINCIPAL_ID: '11111111-2222-3333-4444-555555555555',
      FUNCTION_APP_NAME: 'func-test',
      SYSTEM_TOPIC_NAME: 'evgt-test',
      BACKFILL_TOPIC_NAME: 'evt-test-backfill',
      IMAGES_STORAGE_ACCOUNT: 'stimgtest',
    };
    for (const [name, value] of Object.entries(env)) {
      if (value === '') delete base[name];
      else base[name] = value;
    }
    const result = spawnSync('sh', [join(ROOT, script)], { env: base, encoding: 'utf8' });
    const calls = existsSync(this.log) ? readFileSync(this.log, 'utf8').trim().split('\n') : [];
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A fresh stand-in `az` for each test of the calling suite, removed afterwards. */
function useFakeAz(): () => FakeAz {
  let az: FakeAz | undefined;
  beforeEach(function () {
    az = new FakeAz();
  });
  afterEach(function () {
    az?.remove();
  });
  return () => az!;
}

describe('azd: post-provision hook (sh, against a stand-in Azure CLI)', function () {
  const fake = useFakeAz();

  it('names the missing output and calls nothing', function () {
    const run = fake().run('scripts/postprovision.sh', { APP_IDENTITY_PRINCIPAL_ID: '' });
    expect(run.status).to.equal(2);
    expect(run.stderr).to.contain('APP_IDENTITY_PRINCIPAL_ID is not set');
    expect(run.calls).to.deep.equal([]);
  });

  it('says to sign the Azure CLI in when it cannot use the subscription', function () {
    const run = fake().run('scripts/postprovision.sh', { FAKE_LOGGED_IN: 'no' });
    expect(run.status).to.equal(1);
    expect(run.stderr).to.contain('cannot use subscription 00000000-0000-0000-0000-0000000000aa');
    expect(run.stderr).to.contain("'az login'");
  });

  it('waits until the role assignment is listed, asking only about that identity and role, in that subscription', function () {
    const run = fake().run('scripts/postprovision.sh', { FAKE_ROLE_FROM_CALL: '3' });
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.contain('waiting for the app identity');
    const listings = run.calls.filter((call) => call.startsWith('role assignment list'));
    expect(listings).to.have.lengthOf(3);
    for (const call of run.calls) {
      expect(call).to.contain('--subscription 00000000-0000-0000-0000-0000000000aa');
    }
    expect(listings[0]).to.contain("principalId=='11111111-2222-3333-4444-555555555555'");
    expect(listings[0]).to.contain('b7e6dc6d-f1e8-4753-8033-0f276bb0955b');
    expect(listings[0]).to.contain(
      '--scope /subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-test/providers/Microsoft.Storage/storageAccounts/sthosttest',
    );
  });

  it('gives up after the set number of checks, saying the deployment would fail and what to do', function () {
    const run = fake().run('scripts/postprovision.sh', { FAKE_ROLE_FROM_CALL: '99' });
    expect(run.status).to.equal(1);
    expect(run.stderr).to.contain('still has no Storage Blob Data Owner role on sthosttest');
    expect(run.stderr).to.contain("run 'azd provision' again");
    expect(run.calls.filter((call) => call.startsWith('role assignment list'))).to.have.lengthOf(4);
  });

  it('lets a just-made assignment settle before the code deployment, and an old one not', function () {
    const young = fake().run('scripts/postprovision.sh', {
      FAKE_ROLE_CREATED: new Date().toISOString(),
      ROLE_SETTLE_SECONDS: '1',
    });
    expect(young.status, young.stderr).to.equal(0);
    expect(young.stdout).to.match(/waiting 1s for it to take effect/);
    const old = fake().run('scripts/postprovision.sh', {});
    expect(old.status, old.stderr).to.equal(0);
    expect(old.stdout).to.not.contain('to take effect');
    expect(old.stdout).to.contain('can write its deployment container');
  });
});

describe('azd: post-deploy hook (sh, against a stand-in Azure CLI)', function () {
  const fake = useFakeAz();

  it("waits for processImage, then deploys the Event Grid subscription, all in azd's subscription", function () {
    const run = fake().run('scripts/postdeploy.sh', { FAKE_FUNCTION_FROM_CALL: '2' });
    expect(run.status, run.stderr).to.equal(0);
    expect(run.calls.map((call) => call.split(' ').slice(0, 2).join(' '))).to.deep.equal([
      'account show',
      'functionapp function',
      'functionapp function',
      'deployment group',
    ]);
    for (const call of run.calls) {
      expect(call).to.contain('--subscription 00000000-0000-0000-0000-0000000000aa');
    }
    expect(run.calls.at(-1)).to.contain('--template-file bicep/subscription.bicep');
  });

  it('gives up when processImage never appears, naming the command to look', function () {
    const run = fake().run('scripts/postdeploy.sh', { FAKE_FUNCTION_FROM_CALL: '99' });
    expect(run.status).to.equal(1);
    expect(run.stderr).to.contain('processImage did not appear on func-test after 4 checks');
    expect(run.calls.some((call) => call.startsWith('deployment group'))).to.equal(false);
  });
});

describe('azd: GitHub Actions workflow', function () {
  const workflow = parse(read('.github/workflows/azure-dev.yml')) as Workflow;
  const job = Object.values(workflow.jobs)[0]!;
  const stepIndex = (test: (step: Step) => boolean): number => job.steps.findIndex(test);

  it('has one job, run on pushes to main and by hand', function () {
    expect(Object.keys(workflow.jobs)).to.have.lengthOf(1);
    expect(workflow.on).to.have.all.keys('push', 'workflow_dispatch');
  });

  it('may ask for an OIDC token and nothing else beyond reading the repository', function () {
    expect(workflow.permissions).to.deep.equal({ 'id-token': 'write', contents: 'read' });
  });

  it('signs the Azure CLI in with the federated credential of the repository variables, no secret', function () {
    const login = job.steps.find((step) => step.uses?.startsWith('azure/login@'));
    expect(login?.with).to.deep.equal({
      'client-id': '${{ vars.AZURE_CLIENT_ID }}',
      'tenant-id': '${{ vars.AZURE_TENANT_ID }}',
      'subscription-id': '${{ vars.AZURE_SUBSCRIPTION_ID }}',
    });
    expect(read('.github/workflows/azure-dev.yml')).to.not.match(/secrets\.|client-secret|creds:/);
  });

  it('signs azd in with the same federated credential', function () {
    const login = job.steps.find((step) => step.run?.startsWith('azd auth login'));
    expect(login?.run).to.contain('--federated-credential-provider github');
    expect(login?.run).to.contain('--client-id "$AZURE_CLIENT_ID"');
    expect(login?.run).to.contain('--tenant-id "$AZURE_TENANT_ID"');
  });

  it('provisions, then deploys, without prompts, after both sign-ins and npm ci', function () {
    const provision = stepIndex((step) => step.run === 'azd provision --no-prompt');
    const deploy = stepIndex((step) => step.run === 'azd deploy --no-prompt');
    expect(provision).to.be.above(
      stepIndex((step) => step.uses?.startsWith('azure/login@') ?? false),
    );
    expect(provision).to.be.above(
      stepIndex((step) => step.run?.startsWith('azd auth login') ?? false),
    );
    expect(provision).to.be.above(stepIndex((step) => step.run === 'npm ci'));
    expect(deploy).to.be.above(provision);
  });

  it('builds on Node 22, the runtime of the function app', function () {
    const node = job.steps.find((step) => step.uses?.startsWith('actions/setup-node@'));
    expect(node?.with?.['node-version']).to.equal(22);
  });

  it("passes every variable azd's parameters file reads, declaring the pipeline a service principal by default", function () {
    expect(Object.keys(job.env)).to.include.members(variablesRead('bicep/main.bicepparam'));
    expect(job.env['AZURE_PRINCIPAL_TYPE']).to.equal(
      "${{ vars.AZURE_PRINCIPAL_TYPE || 'ServicePrincipal' }}",
    );
    for (const name of [
      'AZURE_CLIENT_ID',
      'AZURE_TENANT_ID',
      'AZURE_SUBSCRIPTION_ID',
      'AZURE_RESOURCE_GROUP',
    ]) {
      expect(job.env[name], name).to.equal(`\${{ vars.${name} }}`);
    }
  });
});

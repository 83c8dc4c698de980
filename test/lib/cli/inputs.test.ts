import { expect } from 'chai';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UsageError } from '../../../lib/cli/args.js';
import { collectInputs } from '../../../lib/cli/inputs.js';

describe('cli/inputs', () => {
  let scratch: string;
  let tree: string;

  beforeEach(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'cli-inputs-'));
    tree = path.join(scratch, 'photos');
    await mkdir(path.join(tree, 'trip', 'day1'), { recursive: true });
    await writeFile(path.join(tree, 'b.jpg'), 'b');
    await writeFile(path.join(tree, 'a.png'), 'a');
    await writeFile(path.join(tree, 'trip', 'day1', 'c.jpg'), 'c');
  });
  afterEach(() => rm(scratch, { recursive: true, force: true }));

  it('names files in a folder relative to it, sorted, with / separators', async () => {
    const { files, skipped } = await collectInputs([tree]);
    expect(files.map((file) => file.name)).to.deep.equal(['a.png', 'b.jpg', 'trip/day1/c.jpg']);
    expect(files[2]?.path).to.equal(path.join(tree, 'trip', 'day1', 'c.jpg'));
    expect(skipped).to.deep.equal([]);
  });

  it('names a file given directly by its base name', async () => {
    const { files } = await collectInputs([path.join(tree, 'trip', 'day1', 'c.jpg')]);
    expect(files).to.deep.equal([
      { path: path.join(tree, 'trip', 'day1', 'c.jpg'), name: 'c.jpg' },
    ]);
  });

  it('does not follow a symlinked folder out of the input tree', async () => {
    const secret = path.join(scratch, 'secret');
    await mkdir(secret);
    await writeFile(path.join(secret, 'private.jpg'), 'p');
    await symlink(secret, path.join(tree, 'escape'));
    const { files, skipped } = await collectInputs([tree]);
    expect(files.map((file) => file.name)).to.not.include('escape/private.jpg');
    expect(skipped).to.have.length(1);
    expect(skipped[0]?.reason).to.match(/symbolic link to a folder/);
  });

  it('reads a symlinked file only when its target is inside the folder', async () => {
    const secret = path.join(scratch, 'secret.jpg');
    await writeFile(secret, 's');
    await symlink(secret, path.join(tree, 'outside.jpg'));
    await symlink(path.join(tree, 'b.jpg'), path.join(tree, 'inside.jpg'));
    const { files, skipped } = await collectInputs([tree]);
    expect(files.map((file) => file.name)).to.include('inside.jpg');
    expect(files.map((file) => file.name)).to.not.include('outside.jpg');
    expect(skipped.map((entry) => entry.reason)).to.deep.equal([
      'is a symbolic link to a file outside the folder',
    ]);
  });

  it('skips the output folder when it lies inside an input folder', async () => {
    const out = path.join(tree, 'out');
    await mkdir(path.join(out, 'output'), { recursive: true });
    await writeFile(path.join(out, 'output', 'b.jpg'), 'old result');
    const { files } = await collectInputs([tree], out);
    expect(files.map((file) => file.name)).to.deep.equal(['a.png', 'b.jpg', 'trip/day1/c.jpg']);
  });

  it('refuses an input inside the output folder with a usage error', async () => {
    const out = path.join(scratch, 'out');
    await mkdir(path.join(out, 'output'), { recursive: true });
    await writeFile(path.join(out, 'output', 'x.jpg'), 'x');
    for (const input of [out, path.join(out, 'output'), path.join(out, 'output', 'x.jpg')]) {
      let caught: unknown;
      try {
        await collectInputs([input], out);
      } catch (error) {
        caught = error;
      }
      expect(caught, input).to.be.instanceOf(UsageError);
    }
  });

  it('keeps the first of two inputs with the same name and reports the second', async () => {
    await writeFile(path.join(scratch, 'b.jpg'), 'other b');
    const { files, skipped } = await collectInputs([tree, path.join(scratch, 'b.jpg')]);
    expect(files.filter((file) => file.name === 'b.jpg')).to.have.length(1);
    expect(skipped[0]?.reason).to.match(/already taken/);
  });

  it('keeps every input whose name differs only in its extension, skipping none', async () => {
    await writeFile(path.join(tree, 'b.png'), 'once became b.jpg');
    await writeFile(path.join(tree, 'a.jpeg'), 'once became a.png');
    const { files, skipped } = await collectInputs([tree]);
    expect(files.map((file) => file.name)).to.deep.equal([
      'a.jpeg',
      'a.png',
      'b.jpg',
      'b.png',
      'trip/day1/c.jpg',
    ]);
    expect(skipped).to.deep.equal([]);
  });

  it('refuses a path that does not exist with a usage error', async () => {
    let caught: unknown;
    try {
      await collectInputs([path.join(scratch, 'missing')]);
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(UsageError);
  });
});

import { expect } from 'chai';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { destinationPath, OutputTree, UnsafePathError } from '../../../lib/cli/write.js';

describe('cli/write: nothing is written outside --out', () => {
  let scratch: string;
  let root: string;
  let outside: string;

  beforeEach(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'cli-write-'));
    root = path.join(scratch, 'out');
    outside = path.join(scratch, 'outside');
    await mkdir(outside);
  });
  afterEach(() => rm(scratch, { recursive: true, force: true }));

  it('places a relative name in its container, keeping subfolders', () => {
    expect(destinationPath('/r', 'output', 'a/b/c.jpg')).to.equal(
      path.resolve('/r/output/a/b/c.jpg'),
    );
    expect(destinationPath('/r', 'metadata', 'c.png.json')).to.equal(
      path.resolve('/r/metadata/c.png.json'),
    );
  });

  const unsafe = [
    '../escape.jpg',
    'a/../../escape.jpg',
    '/etc/passwd',
    'a\\..\\..\\escape.jpg',
    'C:/Windows/escape.jpg',
    'a//b.jpg',
    './a.jpg',
    'nul\0.jpg',
    '',
    '..',
  ];
  for (const name of unsafe) {
    it(`refuses the name ${JSON.stringify(name)}`, () => {
      expect(() => destinationPath('/r', 'output', name)).to.throw(UnsafePathError);
    });
  }

  it("places a rendition's own container beside the default ones", () => {
    expect(destinationPath('/r', 'large-webp', 'a.jpg')).to.equal(
      path.resolve('/r/large-webp/a.jpg'),
    );
  });

  for (const container of ['..', '.', '../out', 'a/b', '', 'UPPER', '/abs']) {
    it(`refuses the container ${JSON.stringify(container)}`, () => {
      expect(() => destinationPath('/r', container, 'a.jpg')).to.throw(UnsafePathError);
    });
  }

  it('writes a file and its folders under the root', async () => {
    const tree = await OutputTree.open(root);
    await tree.write('thumbnails', 'x/y/z.jpg', new Uint8Array([1, 2, 3]));
    expect([...(await readFile(path.join(root, 'thumbnails/x/y/z.jpg')))]).to.deep.equal([1, 2, 3]);
    expect(tree.relative('thumbnails', 'x/y/z.jpg')).to.equal('thumbnails/x/y/z.jpg');
    expect(await readdir(path.join(root, 'thumbnails/x/y'))).to.deep.equal(['z.jpg']);
  });

  it('refuses to write through a container folder that is a symlink to elsewhere', async () => {
    const tree = await OutputTree.open(root);
    await symlink(outside, path.join(root, 'output'));
    let caught: unknown;
    try {
      await tree.write('output', 'sub/a.jpg', 'data');
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(UnsafePathError);
    expect(await readdir(outside)).to.deep.equal([]);
  });

  it('refuses to write through a nested symlinked folder', async () => {
    const tree = await OutputTree.open(root);
    await mkdir(path.join(root, 'metadata'), { recursive: true });
    await symlink(outside, path.join(root, 'metadata', 'trap'));
    let caught: unknown;
    try {
      await tree.write('metadata', 'trap/a.jpg.json', '{}');
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(UnsafePathError);
    expect(await readdir(outside)).to.deep.equal([]);
  });

  it('replaces a symlink planted at the destination instead of writing through it', async () => {
    const tree = await OutputTree.open(root);
    const victim = path.join(outside, 'victim.txt');
    await writeFile(victim, 'precious');
    await mkdir(path.join(root, 'output'), { recursive: true });
    await symlink(victim, path.join(root, 'output', 'a.jpg'));
    await tree.write('output', 'a.jpg', 'new bytes');
    expect(await readFile(victim, 'utf8')).to.equal('precious');
    expect(await readFile(path.join(root, 'output', 'a.jpg'), 'utf8')).to.equal('new bytes');
  });

  it('works when the root itself is reached through a symlink', async () => {
    const real = path.join(scratch, 'real-out');
    await mkdir(real);
    await symlink(real, root);
    const tree = await OutputTree.open(root);
    await tree.write('output', 'a.jpg', 'bytes');
    expect(await readFile(path.join(real, 'output', 'a.jpg'), 'utf8')).to.equal('bytes');
  });
});

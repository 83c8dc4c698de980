import { expect } from 'chai';
import {
  BASES,
  basesOf,
  CORRUPT_WEIGHT,
  loadImage,
  MIXES,
} from '../../../../functions/local/load/images.js';
import { percentile, round } from '../../../../functions/local/load/stats.js';
import { ImageError, processImage } from '../../../../lib/index.js';
import { fixture } from '../../support.js';

/** Small stand-ins for the cached base images, so the test needs no generation. */
const bases = new Map(
  BASES.map((spec) => [
    spec.name,
    new Uint8Array(fixture(spec.format === 'jpeg' ? 'size/panorama.jpg' : 'png/gray.png')),
  ]),
);

describe('functions/local/load: images and statistics', () => {
  it('gives every upload its own bytes and name while keeping the picture', async () => {
    const a = loadImage(0, 'run', bases);
    const b = loadImage(1, 'run', bases);
    expect(a.base).to.equal(b.base);
    expect(a.name).to.not.equal(b.name);
    expect(a.bytes).to.not.deep.equal(b.bytes);
    const [ra, rb] = await Promise.all([
      processImage(a.bytes, { name: a.name }),
      processImage(b.bytes, { name: b.name }),
    ]);
    expect(ra.renditions[0]?.bytes).to.deep.equal(rb.renditions[0]?.bytes);
    expect(ra.metadata.source.sha256).to.not.equal(rb.metadata.source.sha256);
  });

  it('keeps PNG variants valid (the added text chunk has a correct CRC)', async () => {
    const index = [...Array(200).keys()].find((i) =>
      loadImage(i, 'run', bases).base.includes('screenshot'),
    );
    expect(index).to.not.equal(undefined);
    const png = loadImage(index!, 'run', bases);
    const result = await processImage(png.bytes, { name: png.name });
    expect(result.metadata.source.format).to.equal('png');
  });

  it('mixes sizes by weight and makes a few corrupt inputs that fail with typed errors', async () => {
    const images = Array.from({ length: 200 }, (_, i) => loadImage(i, 'run', bases));
    const weights: Record<string, number> = MIXES.default.weights;
    const total = Object.values(weights).reduce((sum, weight) => sum + weight, 0) + CORRUPT_WEIGHT;
    const corrupt = images.filter((image) => image.corrupt);
    expect(corrupt.length).to.be.within(1, Math.ceil((200 * CORRUPT_WEIGHT) / total) + 1);
    for (const spec of basesOf(MIXES.default).filter((b) => (weights[b.name] ?? 0) > 0)) {
      expect(
        images.some((image) => image.base === spec.name),
        spec.name,
      ).to.equal(true);
    }
    expect(new Set(images.map((image) => image.name)).size).to.equal(200);
    for (const image of corrupt) {
      const error = await processImage(image.bytes, { name: image.name }).catch((e: unknown) => e);
      expect(error, image.name).to.be.instanceOf(ImageError);
    }
  });

  it('puts at least a third of a heavy burst at 12 to 24 MP, PNG among them', () => {
    const megapixels = new Map(BASES.map((b) => [b.name, (b.width * b.height) / 1e6]));
    const formats = new Map(BASES.map((b) => [b.name, b.format]));
    const images = Array.from({ length: 150 }, (_, i) => loadImage(i, 'run', bases, MIXES.heavy));
    const heavy = images.filter((image) => (megapixels.get(image.base) ?? 0) >= 12);
    expect(heavy.length).to.be.at.least(50);
    expect(heavy.every((image) => (megapixels.get(image.base) ?? 0) <= 24)).to.equal(true);
    expect(heavy.some((image) => formats.get(image.base) === 'png')).to.equal(true);
    expect(basesOf(MIXES.default).map((b) => b.name)).to.not.include('scan-12mp');
  });

  it('takes percentiles by nearest rank and rounds', () => {
    const values = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
    expect(percentile(values, 50)).to.equal(5);
    expect(percentile(values, 95)).to.equal(10);
    expect(percentile(values, 10)).to.equal(1);
    expect(percentile([], 99)).to.equal(0);
    expect(round(1.26, 1)).to.equal(1.3);
  });
});

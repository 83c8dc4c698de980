import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { ImageError, loadCodecs, processImage } from '../../lib/index.js';
import { fitInside } from '../../lib/resize.js';
import { FIXTURES, colourName, expectedColour } from '../fixtures.js';
import { autoFormat, decodeOutput, pixel, renditionIn } from './images.js';

const SAMPLES: [number, number][] = [
  [0.2, 0.2],
  [0.8, 0.2],
  [0.2, 0.8],
  [0.8, 0.8],
  [0.15, 0.5],
  [0.5, 0.5],
  [0.85, 0.5],
  [0.5, 0.15],
  [0.5, 0.85],
];

describe('processImage on every fixture (pixels checked, not bytes)', () => {
  before(async () => {
    await loadCodecs();
  });

  for (const fixture of FIXTURES) {
    if (fixture.errorCode) {
      it(`fails ${fixture.name} with ${fixture.errorCode}`, async () => {
        const bytes = new Uint8Array(readFileSync(fixture.path));
        const error = await processImage(bytes, { name: fixture.name }).then(
          () => undefined,
          (caught: unknown) => caught,
        );
        expect(error).to.be.instanceOf(ImageError);
        expect((error as ImageError).code).to.equal(fixture.errorCode);
      });
      continue;
    }
    it(`processes ${fixture.name}: ${fixture.description}`, async () => {
      const bytes = new Uint8Array(readFileSync(fixture.path));
      const result = await processImage(bytes, { name: fixture.name });
      const { image } = result.metadata;
      expect(image).to.include({
        width: fixture.width,
        height: fixture.height,
        orientation: fixture.orientation,
        hasAlpha: fixture.hasAlpha,
        animated: fixture.animated,
      });
      if (fixture.frameCount !== undefined) expect(image.frameCount).to.equal(fixture.frameCount);
      if (fixture.bitDepth !== undefined) expect(image.bitDepth).to.equal(fixture.bitDepth);
      if (fixture.colorSpace !== undefined) expect(image.colorSpace).to.equal(fixture.colorSpace);
      if (fixture.progressive !== undefined)
        expect(image.progressive).to.equal(fixture.progressive);
      if (fixture.exif) {
        const exif = result.metadata.exif;
        expect(exif).to.not.equal(null);
        const { gps, ...rest } = fixture.exif;
        for (const [key, value] of Object.entries(rest)) {
          if (typeof value === 'number')
            expect(exif![key as keyof typeof rest], key).to.be.closeTo(value, 1e-6);
          else expect(exif![key as keyof typeof rest], key).to.equal(value);
        }
        if (gps) {
          expect(exif!.gps!.latitude).to.be.closeTo(gps.latitude, 1e-4);
          expect(exif!.gps!.longitude).to.be.closeTo(gps.longitude, 1e-4);
          if (gps.altitude !== undefined)
            expect(exif!.gps!.altitude).to.be.closeTo(gps.altitude, 1e-3);
        }
      }
      const size = fitInside(fixture.uprightWidth, fixture.uprightHeight, 800, 600);
      expect(renditionIn(result, 'output')).to.include({ width: size.width, height: size.height });
      expect(renditionIn(result, 'output').format).to.equal(
        autoFormat(fixture.format, fixture.hasAlpha),
      );
      const output = await decodeOutput(
        renditionIn(result, 'output').bytes,
        renditionIn(result, 'output').format,
      );
      expect([output.width, output.height]).to.deep.equal([size.width, size.height]);
      if (!fixture.layout || fixture.layout === 'photo') return;
      for (const [fx, fy] of SAMPLES) {
        const expected = expectedColour(fixture.layout, fx, fy);
        const sample = pixel(output, fx * (output.width - 1), fy * (output.height - 1));
        const transparent = fixture.transparentQuadrant === 'bottom-right' && fx > 0.5 && fy > 0.5;
        if (transparent) {
          expect(sample[3], `alpha at ${fx},${fy}`).to.equal(0);
        } else if (
          expected &&
          (fx !== 0.5 || fixture.layout !== 'quadrants') &&
          (fy !== 0.5 || fixture.layout !== 'quadrants')
        ) {
          expect(colourName(sample), `colour at ${fx},${fy}: ${sample.join(',')}`).to.equal(
            expected,
          );
        }
      }
    });
  }
});

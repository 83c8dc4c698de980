import { expect } from 'chai';
import { ImageError } from '../../lib/errors.js';
import {
  DEFAULT_RENDITIONS,
  parseRenditions,
  refuseReservedContainers,
  renditionsFingerprint,
  validateRenditions,
  type RenditionSpec,
} from '../../lib/renditions.js';

const large: RenditionSpec = {
  container: 'large',
  width: 1600,
  height: 1200,
  fit: 'inside',
  format: 'webp',
  quality: 82,
};

describe('renditions', () => {
  describe('parseRenditions', () => {
    it('fills fit, format and quality left out of an entry', () => {
      const parsed = parseRenditions('[{"container":"small","width":320,"height":240}]', 'X');
      expect(parsed).to.deep.equal([
        { container: 'small', width: 320, height: 240, fit: 'inside', format: 'auto', quality: 82 },
      ]);
    });

    it('keeps the order and every field given', () => {
      const list = [...DEFAULT_RENDITIONS, large];
      expect(parseRenditions(JSON.stringify(list), 'IMG_RENDITIONS')).to.deep.equal(list);
    });

    it("keeps a cover rendition's crop position, and leaves out the default centre", () => {
      const parsed = parseRenditions(
        JSON.stringify([
          { container: 'square', width: 100, height: 100, fit: 'cover', position: 'attention' },
          { container: 'wide', width: 300, height: 100, fit: 'cover', position: 'centre' },
        ]),
        'X',
      );
      expect(parsed[0]).to.include({ position: 'attention' });
      expect(parsed[1]).to.not.have.property('position');
    });

    it('refuses an unknown crop position, and any but centre where nothing is cropped', () => {
      const list = (fields: object) =>
        JSON.stringify([{ container: 'aaa', width: 1, height: 1, ...fields }]);
      expect(() => parseRenditions(list({ fit: 'cover', position: 'top' }), 'IMG_RENDITIONS'))
        .to.throw(
          ImageError,
          /'centre', 'entropy', 'attention' for IMG_RENDITIONS\[0\]\.position but received top/,
        )
        .with.property('code', 'INVALID_OPTION');
      expect(() => parseRenditions(list({ position: 'entropy' }), '--renditions')).to.throw(
        ImageError,
        /inside rendition is not cropped.* for --renditions\[0\]\.position but received entropy/,
      );
    });

    it('names the source and the JSON error when the text is not JSON', () => {
      expect(() => parseRenditions('[{container:', 'IMG_RENDITIONS'))
        .to.throw(ImageError, /^Expected a JSON list of renditions \(.+\) for IMG_RENDITIONS/)
        .with.property('code', 'INVALID_OPTION');
    });

    const bad: [string, unknown, RegExp][] = [
      [
        'an empty list',
        [],
        /a list of 1 to 8 renditions for --renditions but received a list of 0/,
      ],
      [
        'nine entries',
        Array.from({ length: 9 }, (_, i) => ({ container: `c${i}-x`, width: 1, height: 1 })),
        /a list of 1 to 8 renditions for --renditions but received a list of 9/,
      ],
      ['an object, not a list', { container: 'output' }, /a list of 1 to 8 renditions/],
      [
        'an entry that is not an object',
        [{ container: 'aaa', width: 1, height: 1 }, 5],
        /for --renditions\[1\] but received 5/,
      ],
      [
        'an unknown field',
        [{ container: 'aaa', width: 1, height: 1, size: 3 }],
        /no field but container, width, height, fit, format, quality, animated, position for --renditions\[0\]\.size but received 3/,
      ],
      [
        'a width of 0',
        [{ container: 'aaa', width: 0, height: 1 }],
        /integer between 1 and 16384 for --renditions\[0\]\.width but received 0/,
      ],
      [
        'a height over 16384',
        [{ container: 'aaa', width: 1, height: 16385 }],
        /for --renditions\[0\]\.height but received 16385/,
      ],
      [
        'a width given as a string',
        [{ container: 'aaa', width: '800', height: 1 }],
        /for --renditions\[0\]\.width but received 800 of type string/,
      ],
      [
        'an unknown fit',
        [{ container: 'aaa', width: 1, height: 1, fit: 'fill' }],
        /'inside', 'cover', 'contain' for --renditions\[0\]\.fit but received fill/,
      ],
      [
        'an unknown format',
        [{ container: 'aaa', width: 1, height: 1, format: 'gif' }],
        /'auto', 'jpeg', 'png', 'webp', 'avif' for --renditions\[0\]\.format/,
      ],
      [
        'a quality of 101',
        [{ container: 'aaa', width: 1, height: 1, quality: 101 }],
        /integer between 1 and 100 for --renditions\[0\]\.quality/,
      ],
      [
        'an upper-case container',
        [{ container: 'Large', width: 1, height: 1 }],
        /container name of 3-63 .* for --renditions\[0\]\.container but received Large/,
      ],
      ['a two-letter container', [{ container: 'ab', width: 1, height: 1 }], /\.container/],
      ['a double hyphen', [{ container: 'a--b', width: 1, height: 1 }], /\.container/],
      ['a leading hyphen', [{ container: '-abc', width: 1, height: 1 }], /\.container/],
      ['a missing container', [{ width: 1, height: 1 }], /\[0\]\.container but received undefined/],
      [
        'a container used twice',
        [
          { container: 'small', width: 1, height: 1 },
          { container: 'output', width: 2, height: 2 },
          { container: 'small', width: 3, height: 3 },
        ],
        /a container not already used by --renditions\[0\] for --renditions\[2\]\.container but received small/,
      ],
    ];
    for (const [what, list, message] of bad) {
      it(`refuses ${what}, naming the entry and the rule`, () => {
        expect(() => parseRenditions(JSON.stringify(list), '--renditions'))
          .to.throw(ImageError, message)
          .with.property('code', 'INVALID_OPTION');
      });
    }

    it('accepts 8 entries and container names of 3 and 63 characters', () => {
      const list = Array.from({ length: 8 }, (_, i) => ({
        container: i === 0 ? 'abc' : i === 1 ? 'a'.repeat(63) : `size-${i}`,
        width: 16384,
        height: 1,
      }));
      expect(parseRenditions(JSON.stringify(list), 'X')).to.have.length(8);
    });
  });

  describe('validateRenditions', () => {
    it('names the list "renditions" unless told otherwise, and copies the entries', () => {
      const given = [{ ...large }];
      const checked = validateRenditions(given);
      expect(checked).to.deep.equal(given);
      expect(checked[0]).to.not.equal(given[0]);
      expect(() => validateRenditions([{ ...large, width: -1 }])).to.throw(
        /for renditions\[0\]\.width/,
      );
    });
  });

  describe('refuseReservedContainers', () => {
    it('refuses a container kept for something else, saying what for', () => {
      const list = [...DEFAULT_RENDITIONS, { ...large, container: 'metadata' }];
      expect(() =>
        refuseReservedContainers(list, { metadata: 'metadata documents' }, 'IMG_RENDITIONS'),
      ).to.throw(
        ImageError,
        'Expected a container other than metadata (metadata documents) for IMG_RENDITIONS[2].container but received metadata of type string',
      );
      expect(() =>
        refuseReservedContainers(DEFAULT_RENDITIONS, { input: 'the uploads' }, 'X'),
      ).to.not.throw();
    });
  });

  describe('renditionsFingerprint', () => {
    const settings = { renditions: DEFAULT_RENDITIONS, shrinkOnLoad: true, includeGps: true };

    it('is 16 hex digits, the same for the same settings given as new objects', () => {
      const fingerprint = renditionsFingerprint(settings);
      expect(fingerprint).to.match(/^[0-9a-f]{16}$/);
      const copy = JSON.parse(JSON.stringify(settings)) as typeof settings;
      expect(renditionsFingerprint(copy)).to.equal(fingerprint);
    });

    it('ignores the order of fields within an entry', () => {
      const [output, thumbnail] = DEFAULT_RENDITIONS as [RenditionSpec, RenditionSpec];
      const reordered = [
        {
          quality: output.quality,
          format: output.format,
          fit: output.fit,
          height: output.height,
          width: output.width,
          container: output.container,
        },
        thumbnail,
      ];
      expect(renditionsFingerprint({ ...settings, renditions: reordered })).to.equal(
        renditionsFingerprint(settings),
      );
    });

    it('changes with anything that changes the results', () => {
      const base = renditionsFingerprint(settings);
      const [output, thumbnail] = DEFAULT_RENDITIONS as [RenditionSpec, RenditionSpec];
      const variants = [
        { ...settings, renditions: [{ ...output, quality: 83 }, thumbnail] },
        { ...settings, renditions: [{ ...output, format: 'webp' as const }, thumbnail] },
        { ...settings, renditions: [{ ...output, width: 801 }, thumbnail] },
        { ...settings, renditions: [{ ...output, fit: 'cover' as const }, thumbnail] },
        { ...settings, renditions: [thumbnail, output] },
        { ...settings, renditions: [output, thumbnail, large] },
        { ...settings, shrinkOnLoad: false },
        { ...settings, includeGps: false },
        { ...settings, renditions: [output, { ...thumbnail, position: 'attention' as const }] },
        { ...settings, renditions: [output, { ...thumbnail, position: 'entropy' as const }] },
        { ...settings, placeholder: false },
        { ...settings, dominantColor: false },
        { ...settings, perceptualHash: false },
      ];
      const fingerprints = variants.map((variant) => renditionsFingerprint(variant));
      expect(new Set([base, ...fingerprints]).size).to.equal(variants.length + 1);
    });

    it('stays as it was for settings that leave the crop at the centre and every web-ready result on', () => {
      const [output, thumbnail] = DEFAULT_RENDITIONS as [RenditionSpec, RenditionSpec];
      const explicit = {
        ...settings,
        renditions: [output, { ...thumbnail, position: 'centre' as const }],
        placeholder: true,
        dominantColor: true,
        perceptualHash: true,
      };
      // The fingerprint of the defaults before crop positions and web-ready results existed.
      expect(renditionsFingerprint(explicit)).to.equal(renditionsFingerprint(settings));
    });
  });
});

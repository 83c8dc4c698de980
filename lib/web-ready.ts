/**
 * The web-ready stages, run by processImage after orient: results a page can use at once,
 * each computed from the upright resized image (never the full-size bitmap) through one small
 * working copy, each in its own span and timing:
 * - `sample`: the working copy (working-copy.ts), made only when a stage below needs it;
 * - `position`: the focus of every cover rendition whose position is not `centre`;
 * - `placeholder`, `dominantColor`, `perceptualHash`: the image's fields of the same names.
 * A stage turned off in the options is not run and leaves its field out.
 */
import type { Span } from '@opentelemetry/api';
import { cropFocus } from './crop-position.js';
import { dominantColor } from './dominant-color.js';
import type { ProcessOptions } from './options.js';
import { perceptualHash } from './perceptual-hash.js';
import { placeholderOf } from './placeholder.js';
import type { RenditionStep } from './plan.js';
import { CENTRE, type Focus } from './resize.js';
import { imageAttributes } from './tracing.js';
import type { Bitmap, ImageInfo } from './types.js';
import { workingCopy } from './working-copy.js';

/** Runs one named stage in its own span, timed (processImage's `stage`). */
export type RunStage = <T>(name: string, work: (span: Span) => Promise<T> | T) => Promise<T>;

/** What the web-ready stages give processImage. */
export interface WebReady {
  /** Per rendition, in order: where its cover crop is centred (`CENTRE` for the others). */
  focuses: Focus[];
  /** The image's web-ready fields, those turned on. */
  info: Pick<ImageInfo, 'placeholder' | 'dominantColor' | 'perceptualHash'>;
}

/** The largest of the upright whole images: the most detail the working copy can have. */
function largest(wholes: readonly Bitmap[]): Bitmap {
  return wholes.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
}

/**
 * Runs the web-ready stages over the upright whole images (`wholes`, as the plan's `steps`
 * index them) per `settings`. Example: `const web = await webReadyStages(stage, upright, steps,
 * settings)`, then `web.focuses[i]` for coverBox and `web.info` in the image record.
 */
export async function webReadyStages(
  stage: RunStage,
  wholes: readonly Bitmap[],
  steps: readonly RenditionStep[],
  settings: ProcessOptions,
): Promise<WebReady> {
  const positioned = settings.renditions.some(
    (rendition, index) => steps[index]?.cover && (rendition.position ?? 'centre') !== 'centre',
  );
  const focuses = settings.renditions.map((): Focus => CENTRE);
  const info: WebReady['info'] = {};
  const { placeholder, dominantColor: colour, perceptualHash: hash } = settings;
  if (!positioned && !placeholder && !colour && !hash) return { focuses, info };
  const copy = await stage('sample', (span) => {
    const made = workingCopy(largest(wholes));
    span.setAttributes(imageAttributes({ width: made.width, height: made.height }));
    return made;
  });
  if (positioned) {
    await stage('position', (span) => {
      settings.renditions.forEach((rendition, index) => {
        const step = steps[index];
        if (!step?.cover) return;
        focuses[index] = cropFocus(
          copy,
          wholes[step.whole]!,
          step.cover,
          rendition.position ?? 'centre',
        );
      });
      span.setAttributes(
        imageAttributes({
          positions: settings.renditions.map((r) => r.position ?? 'centre').join(','),
        }),
      );
    });
  }
  if (placeholder) info.placeholder = await stage('placeholder', () => placeholderOf(copy));
  if (colour) {
    const found = await stage('dominantColor', (span) => {
      const value = dominantColor(copy);
      span.setAttributes(imageAttributes({ dominant_color: value }));
      return value;
    });
    if (found !== undefined) info.dominantColor = found;
  }
  if (hash) {
    info.perceptualHash = await stage('perceptualHash', (span) => {
      const value = perceptualHash(copy);
      span.setAttributes(imageAttributes({ perceptual_hash: value }));
      return value;
    });
  }
  return { focuses, info };
}

/**
 * libheif (with libde265 for HEVC), the WASM build of the libheif-js package (LGPL-3.0, loaded
 * as a separate module from node_modules: replaceable, as the LGPL asks), instantiated once
 * per process on the first HEIF image only: most deployments never see one, and the module is
 * 1.4 MB (about 170 ms to compile and start here). libheif applies the
 * primary item's rotation, mirror and crop (`irot`, `imir`, `clap`) while decoding, so the
 * pixels come back upright.
 */
import { CodecError, type CodecImage } from './index.js';

/** The parts of libheif-js's embind API used here, typed by what they return at run time. */
interface HeifError {
  /** An embind enum value; `heif_error_Ok` on success. */
  code: unknown;
  message?: string;
}
interface HeifChannel {
  width: number;
  height: number;
  stride: number;
  data: Uint8Array;
}
interface HeifDecodedImage extends Partial<HeifError> {
  image: object;
  channels: HeifChannel[];
}
interface LibHeif {
  heif_context_alloc(): object;
  heif_context_free(context: object): void;
  heif_context_read_from_memory(context: object, bytes: Uint8Array): HeifError;
  heif_js_context_get_primary_image_handle(context: object): object & Partial<HeifError>;
  heif_image_handle_release(handle: object): void;
  heif_image_handle_has_alpha_channel(handle: object): number | boolean;
  heif_js_decode_image2(handle: object, colorspace: unknown, chroma: unknown): HeifDecodedImage;
  heif_image_release(image: object): void;
  heif_error_Ok: unknown;
  heif_colorspace: { heif_colorspace_RGB: unknown };
  heif_chroma: { heif_chroma_interleaved_RGBA: unknown };
}
type LibHeifFactory = (options: object) => Promise<LibHeif>;

let instance: Promise<LibHeif> | undefined;
/** What libheif printed during the current call (its decoders report damage this way). */
let messages: string[] = [];

/**
 * Instantiates libheif once; after a failed call, afresh. Its Emscripten glue reads its .wasm
 * from its own folder (Node's fetch cannot read file: URLs, and the glue knows where it is);
 * the other codecs' wrappers are handed a module compiled by index.ts instead, which this
 * glue's instantiateWasm hook does not accept (its embind registration fails).
 */
function libheif(): Promise<LibHeif> {
  instance ??= import('libheif-js/libheif-wasm/libheif.js').then((glue) =>
    (glue.default as unknown as LibHeifFactory)({
      print: (text: string) => messages.push(text),
      printErr: (text: string) => messages.push(text),
    }),
  );
  instance.catch(() => (instance = undefined));
  return instance;
}

/** Fails with libheif's own message (and what it printed), as every codec does. */
function refuse(what: string, error: Partial<HeifError> | undefined): never {
  const detail = [error?.message, ...messages]
    .map((text) => text?.trim())
    .filter(Boolean)
    .join('; ');
  throw new CodecError(detail ? `${what}: ${detail}` : what, error);
}

/** The interleaved RGBA plane, rows packed (libheif pads each row to its stride). */
function packed(channel: HeifChannel): Uint8ClampedArray {
  const row = channel.width * 4;
  const data = new Uint8ClampedArray(row * channel.height);
  if (channel.stride === row) data.set(channel.data.subarray(0, data.length));
  else {
    for (let y = 0; y < channel.height; y++) {
      data.set(channel.data.subarray(y * channel.stride, y * channel.stride + row), y * row);
    }
  }
  return data;
}

/**
 * Decodes the primary image of a HEIF file to 8-bit RGBA, upright (libheif applies the
 * container's rotation, mirror and crop). `alpha` says whether the image has an alpha plane.
 * Throws CodecError when libheif refuses the data.
 */
export async function decodeHeifWasm(bytes: Uint8Array): Promise<CodecImage & { alpha: boolean }> {
  const heif = await libheif();
  messages = [];
  const context = heif.heif_context_alloc();
  let handle: object | undefined;
  let image: HeifDecodedImage | undefined;
  try {
    const read = heif.heif_context_read_from_memory(context, bytes);
    if (read.code !== heif.heif_error_Ok) refuse('could not read the file', read);
    const primary = heif.heif_js_context_get_primary_image_handle(context);
    if (!primary || primary.code) refuse('no primary image', primary);
    handle = primary;
    image = heif.heif_js_decode_image2(
      handle,
      heif.heif_colorspace.heif_colorspace_RGB,
      heif.heif_chroma.heif_chroma_interleaved_RGBA,
    );
    if (!image || image.code || !image.channels?.[0]) refuse('could not decode the image', image);
    const channel = image.channels[0];
    return {
      width: channel.width,
      height: channel.height,
      data: packed(channel),
      alpha: Boolean(heif.heif_image_handle_has_alpha_channel(handle)),
    };
  } catch (error) {
    if (!(error instanceof CodecError)) instance = undefined; // an aborted module is not reused
    throw error instanceof CodecError ? error : new CodecError(String(error), error);
  } finally {
    if (image?.image) heif.heif_image_release(image.image);
    if (handle) heif.heif_image_handle_release(handle);
    heif.heif_context_free(context);
    messages = [];
  }
}

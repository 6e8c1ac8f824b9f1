/**
 * How a refused image is worded, written once: the engine, the commands and the front ends each find
 * some of these problems (a declared type, a declared size, the bytes), and the user reads the same
 * words whichever found it.
 */

/** A size in bytes as people read it: "10 MB", "10.5 MB", or "256 KB" under a megabyte. */
export function byteSize(bytes: number): string {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1).replace(/\.0$/, '')} MB` : `${Math.ceil(bytes / 1024)} KB`;
}

export function megapixels(pixels: number): string {
  return `${Math.round(pixels / 1e6)} megapixels`;
}

export const IMAGE_FORMATS = 'a PNG, JPEG, WebP or GIF';

/** `subject` names the file, e.g. 'The style image "cat.pdf"'. */
export function notAnImage(subject: string, type: string): string {
  return `${subject} is ${type}, not an image. Send ${IMAGE_FORMATS}.`;
}

/** `actual` is what the file is ("12 MB", "20000×20000 pixels"); without it, only that it is over. */
export function tooLarge(subject: string, limit: string, actual?: string): string {
  return actual === undefined
    ? `${subject} is over the limit of ${limit} per image. Send a smaller image.`
    : `${subject} is ${actual}; the limit is ${limit}. Send a smaller image.`;
}

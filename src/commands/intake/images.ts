/** Checks on the images a user sends: what the platform declares first, then the bytes themselves. */
import { decodeImage } from '../../engine/image.js';
import { ImageInputError } from '../../engine/types.js';
import { describeError } from '../followed-job.js';
import { notAnImageText, tooLargeText } from '../messages.js';
import type { ImageSource } from '../port.js';
import type { IntakeContext } from './context.js';

export function declaredProblem(ctx: IntakeContext, role: string, src: ImageSource): string | null {
  if (src.contentType && !/^image\//i.test(src.contentType.trim())) {
    return notAnImageText(role, src.name, src.contentType);
  }
  if (src.size !== undefined && src.size > ctx.limits.maxImageBytes) return tooLargeText(role, src.name, ctx.limits.maxImageBytes, src.size);
  return null;
}

export async function loadImage(ctx: IntakeContext, role: string, src: ImageSource): Promise<{ bytes: Buffer } | { problem: string }> {
  let bytes: Buffer;
  try {
    bytes = await src.load();
  } catch (err) {
    ctx.log.warn(`Could not load the ${role} "${src.name}":`, err);
    return { problem: `I couldn't download the ${role} "${src.name}" (${describeError(err)}). Please try again.` };
  }
  if (bytes.length > ctx.limits.maxImageBytes) return { problem: tooLargeText(role, src.name, ctx.limits.maxImageBytes, bytes.length) };
  try {
    // Decoding small now catches a broken file before the job waits in a queue.
    await decodeImage(bytes, { maxSide: 64 });
  } catch (err) {
    if (err instanceof ImageInputError) return { problem: `The ${role} "${src.name}": ${err.message}` };
    throw err;
  }
  return { bytes };
}

/**
 * Images shown in web conversations (results, palettes, previews, the user's own uploads), stored in the
 * data directory under random names and served by URL, so the event stream carries links, not bytes.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';

/** Only raster types a browser shows as an image; anything else is never served back. */
export const IMAGE_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
};

const EXTENSION_FOR_TYPE: Record<string, string> = {
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'image/gif': '.gif',
  'image/webp': '.webp',
};

/** Stored names are generated here; anything else in a URL is refused before the disk is touched. */
const STORED_NAME = /^[a-f0-9]{24}\.(png|jpg|gif|webp)$/;

export const FILES_PREFIX = '/files/';

/** The stored extension of an upload or attachment, when it is a type the page may show; else undefined. */
export function imageExtension(filename: string, contentType?: string): string | undefined {
  const type = contentType?.toLowerCase() ?? '';
  if (Object.hasOwn(EXTENSION_FOR_TYPE, type)) return EXTENSION_FOR_TYPE[type];
  const ext = extname(filename).toLowerCase();
  if (ext === '.jpeg') return '.jpg';
  return Object.hasOwn(IMAGE_TYPES, ext) ? ext : undefined;
}

/** The MIME type of bytes that really are an image the page may show (by their signature); else undefined. */
export function sniffImageType(data: Buffer): string | undefined {
  const extension = sniffImageExtension(data);
  return extension ? IMAGE_TYPES[extension] : undefined;
}

/** The extension for bytes that really are a PNG, JPEG, GIF or WebP image (by their signature); else undefined. */
export function sniffImageExtension(data: Buffer): string | undefined {
  if (data.length < 12) return undefined;
  if (data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return '.png';
  if (data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return '.jpg';
  if (data.subarray(0, 4).toString('latin1') === 'GIF8') return '.gif';
  if (data.subarray(0, 4).toString('latin1') === 'RIFF' && data.subarray(8, 12).toString('latin1') === 'WEBP') {
    return '.webp';
  }
  return undefined;
}

export class FileStore {
  constructor(private readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  /** Saves bytes; returns the URL path they are served at. */
  async save(data: Buffer, extension: string): Promise<string> {
    const name = `${randomBytes(12).toString('hex')}${extension}`;
    if (!STORED_NAME.test(name)) throw new Error(`Unsupported image extension ${extension}.`);
    await writeFile(join(this.dir, name), data);
    return FILES_PREFIX + name;
  }

  /** The bytes and type behind a URL path from save(), or undefined for anything else. */
  async read(urlPath: string): Promise<{ data: Buffer; type: string } | undefined> {
    const name = this.nameOf(urlPath);
    if (!name) return undefined;
    try {
      return { data: await readFile(join(this.dir, name)), type: IMAGE_TYPES[extname(name)]! };
    } catch {
      return undefined;
    }
  }

  async remove(urlPath: string): Promise<void> {
    const name = this.nameOf(urlPath);
    if (name) await rm(join(this.dir, name), { force: true });
  }

  private nameOf(urlPath: string): string | undefined {
    if (!urlPath.startsWith(FILES_PREFIX)) return undefined;
    const name = urlPath.slice(FILES_PREFIX.length);
    return STORED_NAME.test(name) ? name : undefined;
  }
}

/**
 * The user's own images in their messages, served from the commands' input store
 * (<dataDir>/inputs/<sha256>) rather than copied: one copy per input on disk. An image is shown only
 * once the commands kept it, i.e. accepted the request; a refused request leaves nothing behind.
 */
import { readFile } from 'node:fs/promises';
import { DataFiles, sha256 } from '../../jobs/data-files.js';
import type { WebFile } from './conversations.js';
import { IMAGE_TYPES, sniffImageExtension } from './files.js';
import type { UploadedFile } from './uploads.js';

export const INPUTS_PREFIX = '/inputs/';
const INPUT_PATH = /^\/inputs\/([0-9a-f]{64})$/;

export class InputImages {
  private readonly files: DataFiles;

  constructor(dataDir: string) {
    this.files = new DataFiles(dataDir);
  }

  /** The uploads the commands kept, as files of the user's message. */
  kept(uploads: UploadedFile[]): WebFile[] {
    return uploads.flatMap((upload) => {
      const hash = sha256(upload.data);
      if (!sniffImageExtension(upload.data) || !this.files.hasInput(hash)) return [];
      return [{ url: INPUTS_PREFIX + hash, filename: upload.name, description: `Your ${upload.field} image, ${upload.name}` }];
    });
  }

  /** The bytes and type behind a URL path from kept(), or undefined for anything else. */
  async read(urlPath: string): Promise<{ data: Buffer; type: string } | undefined> {
    const hash = INPUT_PATH.exec(urlPath)?.[1];
    if (!hash) return undefined;
    let data: Buffer;
    try {
      data = await readFile(this.files.inputPath(hash));
    } catch {
      return undefined;
    }
    const extension = sniffImageExtension(data);
    return extension ? { data, type: IMAGE_TYPES[extension]! } : undefined;
  }
}

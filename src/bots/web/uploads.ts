/**
 * Multipart form parsing for the page's requests, size-limited before anything is read whole:
 * a declared Content-Length over the limit is refused at once, and the limit is enforced again
 * while streaming (chunked bodies, lying headers).
 */
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { tooLargeText, uploadTooLargeText } from '../../commands/messages.js';

export interface UploadedFile {
  field: string;
  name: string;
  contentType?: string;
  data: Buffer;
}

export interface ParsedForm {
  fields: Record<string, string>;
  files: Map<string, UploadedFile>;
}

export interface UploadLimits {
  /** Largest accepted image, in bytes. */
  maxFileBytes: number;
  /** The file fields the form may carry. */
  fileFields: readonly string[];
}

/** A request the page should not have sent; `message` is shown to the user. */
export class UploadError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

const MAX_FIELDS = 40;
const MAX_FIELD_BYTES = 2048;
/** Room for boundaries, part headers and the option fields around the files. */
const FORM_OVERHEAD_BYTES = 64 * 1024;

export function tooLargeMessage(maxFileBytes: number, file?: { field: string; name: string }): string {
  return file ? tooLargeText(`${file.field} image`, file.name, maxFileBytes) : uploadTooLargeText(maxFileBytes);
}

export function maxBodyBytes(limits: UploadLimits): number {
  return limits.fileFields.length * limits.maxFileBytes + FORM_OVERHEAD_BYTES;
}

/** Throws UploadError(413) when the declared body is over the limit, before a byte of it is read. */
export function checkDeclaredLength(req: IncomingMessage, limit: number, message: string): void {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new UploadError(413, message);
}

export function parseMultipart(req: IncomingMessage, limits: UploadLimits): Promise<ParsedForm> {
  const tooLarge = tooLargeMessage(limits.maxFileBytes);
  const bodyLimit = maxBodyBytes(limits);
  checkDeclaredLength(req, bodyLimit, tooLarge);
  const type = req.headers['content-type'] ?? '';
  if (!type.toLowerCase().startsWith('multipart/form-data')) {
    return Promise.reject(new UploadError(415, 'Send the images as a multipart form (multipart/form-data).'));
  }

  return new Promise<ParsedForm>((resolve, reject) => {
    // No prototype: a field named "__proto__" or "constructor" is an ordinary (unknown) option.
    const fields = Object.create(null) as Record<string, string>;
    const files = new Map<string, UploadedFile>();
    let settled = false;
    let received = 0;

    const fail = (error: UploadError): void => {
      if (settled) return;
      settled = true;
      req.unpipe(parser);
      parser.removeAllListeners();
      parser.on('error', () => {}); // late errors from a parser that is being dropped
      reject(error);
    };

    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: {
          fileSize: limits.maxFileBytes,
          files: limits.fileFields.length,
          fields: MAX_FIELDS,
          fieldSize: MAX_FIELD_BYTES,
          parts: MAX_FIELDS + limits.fileFields.length,
        },
      });
    } catch {
      reject(new UploadError(400, 'The form could not be read (bad multipart header).'));
      return;
    }

    // Chunked bodies declare no length: count what actually arrives.
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > bodyLimit) fail(new UploadError(413, tooLarge));
    });

    parser.on('file', (field, stream, info) => {
      if (!limits.fileFields.includes(field) || files.has(field)) {
        stream.resume();
        fail(new UploadError(400, `Unexpected file field "${field}".`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        chunks.push(chunk);
      });
      stream.on('limit', () => fail(new UploadError(413, tooLargeMessage(limits.maxFileBytes, { field, name: info.filename || field }))));
      stream.on('end', () => {
        if (settled) return;
        if (size === 0) {
          // An empty file input sends a part with no name and no bytes; a named empty file is a real mistake.
          if (info.filename) fail(new UploadError(400, `The ${field} image "${info.filename}" is empty (0 bytes). Pick it again, or another image.`));
          return;
        }
        files.set(field, {
          field,
          name: info.filename || field,
          contentType: info.mimeType || undefined,
          data: Buffer.concat(chunks, size),
        });
      });
    });
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) fail(new UploadError(400, `The field "${name}" is too long.`));
      else fields[name] = value;
    });
    parser.on('filesLimit', () => fail(new UploadError(400, 'Too many files in one request.')));
    parser.on('fieldsLimit', () => fail(new UploadError(400, 'Too many fields in one request.')));
    parser.on('partsLimit', () => fail(new UploadError(400, 'Too many parts in one request.')));
    parser.on('error', () => fail(new UploadError(400, 'The form could not be read.')));
    parser.on('close', () => {
      if (settled) return;
      settled = true;
      resolve({ fields, files });
    });
    req.on('aborted', () => fail(new UploadError(400, 'The upload was interrupted.')));
    req.pipe(parser);
  });
}

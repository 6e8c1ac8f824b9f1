/**
 * What the bots' thread and an engine's thread say to each other (see engine-thread.ts). Images cross
 * as bytes; errors cross as plain objects and are made into the engine's own classes again, so a
 * user-facing error keeps its words and its kind on the other side.
 */
import type { EngineCreateOptions } from '../engine/index.js';
import {
  BackendUnavailableError,
  ImageInputError,
  JobCancelledError,
  ModelError,
  OptionError,
  type Progress,
  type StyleInput,
  type TransferOptions,
} from '../engine/types.js';

export type EngineCall = 'stylize' | 'palette' | 'paletteSweep' | 'upscale' | 'warm';

export interface EngineThreadConfig {
  engine: EngineCreateOptions;
  /** Builds the sessions before answering 'ready'. */
  warm: boolean;
}

export interface CallArgs {
  content?: Uint8Array;
  styles: StyleInput[];
  previous?: Uint8Array;
  options: Partial<TransferOptions>;
}

export type ToEngine = { type: 'call'; id: number; call: EngineCall; args: CallArgs } | { type: 'abort'; id: number } | { type: 'dispose' };

export interface SentError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  option?: string;
}

export type FromEngine =
  | { type: 'ready'; backend: string; device: string; maxSize: number }
  | { type: 'start-failed'; error: SentError }
  | { type: 'progress'; id: number; progress: Progress }
  | { type: 'done'; id: number; result: unknown; device: string }
  | { type: 'failed'; id: number; error: SentError }
  | { type: 'disposed' };

export function sendable(err: unknown): SentError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const sent: SentError = { name: err.name, message: err.message };
  if (err.stack) sent.stack = err.stack;
  if (err instanceof ImageInputError) sent.code = err.code;
  if (err instanceof OptionError) sent.option = err.option;
  return sent;
}

export function revived(sent: SentError): Error {
  let err: Error;
  switch (sent.name) {
    case 'ImageInputError':
      err = new ImageInputError((sent.code ?? 'corrupt') as ImageInputError['code'], sent.message);
      break;
    case 'OptionError':
      err = new OptionError(sent.option ?? '', sent.message);
      break;
    case 'JobCancelledError':
      err = new JobCancelledError();
      break;
    case 'BackendUnavailableError':
      err = new BackendUnavailableError(sent.message);
      break;
    case 'ModelError':
      err = new ModelError(sent.message);
      break;
    default:
      err = new Error(sent.message);
      err.name = sent.name;
  }
  if (sent.stack) err.stack = sent.stack;
  return err;
}

/**
 * The byte arrays among `value`'s own fields (one level down, and in arrays of objects) that own
 * their whole memory, so they can be moved rather than copied (Node copies those it cannot detach,
 * such as sharp's, which live in external memory). A Buffer cut from Node's shared pool is left out:
 * moving it would take its neighbours' memory too.
 */
export function movable(value: unknown): ArrayBuffer[] {
  const found = new Set<ArrayBuffer>();
  const visit = (v: unknown, depth: number) => {
    if (v instanceof Uint8Array) {
      if (v.buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) found.add(v.buffer);
    } else if (depth < 2 && v && typeof v === 'object') {
      for (const inner of Array.isArray(v) ? v : Object.values(v)) visit(inner, depth + 1);
    }
  };
  visit(value, 0);
  return [...found];
}

export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Byte arrays arrive as Uint8Array; the engine's callers expect Buffers (one level down, views, no copies). */
export function asBuffers<T>(value: T, depth = 0): T {
  if (value instanceof Uint8Array) return toBuffer(value) as T;
  if (depth >= 2 || !value || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => asBuffers(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = asBuffers(v, depth + 1);
  return out as T;
}

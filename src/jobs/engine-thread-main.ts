/**
 * The engine's own thread (started by engine-thread.ts): it creates the Engine, runs the calls it is
 * sent one after another as the Engine does, and answers with progress, results and errors. Its
 * synchronous work (graph building, optimizer updates, PNG previews) no longer holds up the bots.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Engine } from '../engine/index.js';
import type { RunControls } from '../engine/types.js';
import {
  movable,
  toBuffer,
  sendable,
  type CallArgs,
  type EngineCall,
  type EngineThreadConfig,
  type FromEngine,
  type ToEngine,
} from './engine-thread-protocol.js';

const port = parentPort!;
const send = (message: FromEngine, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const aborts = new Map<number, AbortController>();

function run(engine: Engine, call: EngineCall, args: CallArgs, controls: RunControls): Promise<unknown> {
  const styles = args.styles.map((s) => ({ ...s, image: toBuffer(s.image) }));
  const content = args.content && toBuffer(args.content);
  switch (call) {
    case 'stylize':
      return engine.stylize(content!, styles, args.options, controls);
    case 'palette':
      return engine.palette(styles, args.options, controls);
    case 'paletteSweep':
      return engine.paletteSweep(styles, args.options, controls);
    case 'upscale':
      return engine.upscale(content!, styles, toBuffer(args.previous!), args.options, controls);
    case 'warm':
      return engine.warm();
  }
}

async function main(): Promise<void> {
  const { config } = workerData as { config: EngineThreadConfig };
  let engine: Engine;
  try {
    engine = await Engine.create(config.engine);
    if (config.warm) await engine.warm();
  } catch (err) {
    send({ type: 'start-failed', error: sendable(err) });
    return;
  }
  port.on('message', (message: ToEngine) => {
    if (message.type === 'abort') return aborts.get(message.id)?.abort();
    if (message.type === 'dispose') {
      // Calls in flight stop within a step first: the thread must never end inside onnxruntime's
      // run, whose native callback then throws into a torn-down thread and aborts the whole process.
      for (const abort of aborts.values()) abort.abort();
      void engine.dispose().finally(() => {
        send({ type: 'disposed' });
        port.close();
      });
      return;
    }
    const { id } = message;
    const abort = new AbortController();
    aborts.set(id, abort);
    const controls: RunControls = {
      signal: abort.signal,
      onProgress: (progress) => send({ type: 'progress', id, progress }, movable(progress)),
    };
    run(engine, message.call, message.args, controls)
      .then((result) => send({ type: 'done', id, result: result ?? null, device: engine.device }, movable(result)))
      .catch((err: unknown) => send({ type: 'failed', id, error: sendable(err) }))
      .finally(() => aborts.delete(id));
  });
  send({ type: 'ready', backend: engine.backend, device: engine.device, maxSize: engine.maxSize });
}

void main();

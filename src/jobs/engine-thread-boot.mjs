// An engine thread's first module: TypeScript is loaded through tsx here too (a worker thread does
// not inherit the loader of `node --import tsx` on Node 20), then the thread's own module.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);

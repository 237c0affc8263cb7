// Worker threads do not inherit the tsx loader registered in the main thread (Node 20),
// so each worker registers it itself and then loads its TypeScript body, named by the
// thread that started it (workerData.module, a file: URL).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);

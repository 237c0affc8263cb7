// Worker threads do not inherit the tsx loader registered in the main thread (Node 20),
// so the worker registers it itself before loading the TypeScript body.
import { register } from 'tsx/esm/api';

register();
await import('./plan-worker.ts');

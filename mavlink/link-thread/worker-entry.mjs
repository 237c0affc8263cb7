// Worker threads do not inherit the tsx loader registered in the main thread (Node 20),
// so the link thread registers it itself before loading its TypeScript body.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');

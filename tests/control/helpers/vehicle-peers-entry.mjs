// The simulated vehicles of the link-thread stall test, on their own thread: a vehicle on
// the thread the test blocks would prove nothing. Workers do not inherit tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('./vehicle-peers-worker.ts');

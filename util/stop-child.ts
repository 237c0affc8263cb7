import type { ChildProcess } from 'node:child_process';

/** SIGTERM a child process that has not exited yet, and wait for its exit. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

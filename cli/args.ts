import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, string | boolean | undefined>): Promise<void>;
}

export class UsageError extends Error {}

/** Parses argv for one command; `--help` prints its usage and returns undefined. */
export function parseCommandArgs(cmd: Command, argv: string[]): Record<string, string | boolean | undefined> | undefined {
  const options = { ...cmd.options, help: { type: 'boolean' as const, short: 'h' } };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options, allowPositionals: false, strict: true }).values as Record<
      string,
      string | boolean | undefined
    >;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${cmd.usage}`);
  }
  if (values['help']) {
    process.stdout.write(cmd.usage + '\n');
    return undefined;
  }
  return values;
}

export function requireString(values: Record<string, string | boolean | undefined>, name: string, usage: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required\n\n${usage}`);
  return v;
}

export function parsePort(value: string | boolean | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--${name} must be a port number 0-65535, got "${String(value)}"`);
  return n;
}

/** Resolves on SIGINT or SIGTERM, so a command can close everything in order. */
export function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

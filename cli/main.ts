import { ConfigError } from '../site/load.ts';
import { UsageError, parseCommandArgs } from './args.ts';
import { COMMANDS } from './commands/index.ts';

const TOP_USAGE = `ringwatch — drone patrol and IoT control plane

Usage: ringwatch <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`).join('\n')}

Run "ringwatch <command> --help" for a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(TOP_USAGE + '\n');
    return name ? 0 : 2;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    process.stderr.write(`unknown command "${name}"\n\n${TOP_USAGE}\n`);
    return 2;
  }
  const values = parseCommandArgs(cmd, rest);
  if (!values) return 0;
  await cmd.run(values);
  return 0;
}

// Everything the stack writes (ledger, audit, spool, influxd's data it starts) is
// readable by the service user only: files 0600, directories 0700.
process.umask(0o077);

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError || err instanceof ConfigError) {
      process.stderr.write(`ringwatch: ${err.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`ringwatch: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  },
);

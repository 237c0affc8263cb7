import { generateSecret, hashDeviceSecret, hashPassword } from '../../site/secrets.ts';
import type { Command } from '../args.ts';

const usage = `Usage: ringwatch hash-secret [--password TEXT | --device]

  --password TEXT   print the scrypt hash of a user's password (users[].passwordHash)
  --device          generate a device/service secret and print it with its hash
                    (credentials.devices / credentials.services)`;

export const hashSecretCommand: Command = {
  name: 'hash-secret',
  summary: 'hash a user password or generate a device secret for a site file',
  usage,
  options: { password: { type: 'string' }, device: { type: 'boolean' } },
  async run(values) {
    if (typeof values['password'] === 'string') {
      process.stdout.write(hashPassword(values['password']) + '\n');
    } else if (values['device']) {
      const secret = generateSecret();
      process.stdout.write(`secret: ${secret}\nhash:   ${hashDeviceSecret(secret)}\n`);
    } else {
      process.stdout.write(usage + '\n');
    }
  },
};

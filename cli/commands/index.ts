import type { Command } from '../args.ts';
import { hashSecretCommand } from './hash-secret.ts';
import { controlCommand } from './control.ts';
import { telemetryCommand } from './telemetry.ts';
import { simCommand } from './sim.ts';

/** Every subcommand, in the order `ringwatch --help` lists them. */
export const COMMANDS: Command[] = [hashSecretCommand, controlCommand, simCommand, telemetryCommand];

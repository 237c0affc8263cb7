import type { Command } from '../args.ts';
import { brokerCommand } from './broker.ts';
import { hashSecretCommand } from './hash-secret.ts';
import { controlCommand } from './control.ts';
import { telemetryCommand } from './telemetry.ts';
import { simCommand } from './sim.ts';
import { webCommand } from './web.ts';
import { upCommand } from './up.ts';

/** Every subcommand, in the order `ringwatch --help` lists them. */
export const COMMANDS: Command[] = [upCommand, brokerCommand, hashSecretCommand, controlCommand, simCommand, telemetryCommand, webCommand];

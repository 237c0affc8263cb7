import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readlinkSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { FIELD_AIRFRAMES, type FieldDock } from './field-site.ts';

/**
 * What the field scenario runs against. Real SITL binaries come only from environment
 * variables (never from this repository); the project's own simulator always runs.
 */
export interface FieldTarget {
  /** Column name in the README's figures table. */
  name: string;
  autopilot: 'ardupilot' | 'px4';
  /** Vehicle seconds per wall second: the sim's acceleration, or SITL's --speedup. */
  speed: number;
  /** Why this target cannot run here, or undefined when it can. */
  skipReason: string | undefined;
  /** The site's MAVLink endpoint for the drone (`udp…`/`tcp…` URL). */
  mavlinkUrl(): Promise<string>;
  /** The autopilot's MAVLink system id. */
  systemId: number;
  /** Starts the autopilot at the dock (cold), or nothing for the sim (ringwatch up --sim runs it). */
  startAutopilot(dock: FieldDock, dir: string): Promise<AutopilotProcess | undefined>;
  /** The sim target: ringwatch up runs the site's simulated drone at `speed`. */
  sim: boolean;
}

export interface AutopilotProcess {
  output(): string;
  close(): Promise<void>;
}

/**
 * SITL binds every interface and fixed ports (TCP 5760, UDP 14550…), so it runs only in a
 * private network namespace — `npm run test:field` runs vitest under `unshare -n`. We are
 * in one when our network namespace differs from init's; where /proc/1 is not readable
 * (containers), when loopback is our only interface, as in a fresh `unshare -n`.
 */
export function inPrivateNetns(): boolean {
  try {
    return readlinkSync('/proc/self/ns/net') !== readlinkSync('/proc/1/ns/net');
  } catch {
    const names = Object.keys(networkInterfaces());
    return names.length > 0 && names.every((n) => n === 'lo');
  }
}

const netnsReason = 'not in a private network namespace (SITL binds all interfaces): run `npm run test:field`';

function spawnLogged(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): { proc: ChildProcess; output(): string } {
  // Detached: its own process group, so close() ends SITL and anything it started, and only that.
  const proc = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  const keep = (b: Buffer) => {
    out += b.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  return { proc, output: () => out };
}

async function stopGroup(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const pid = proc.pid;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }, 5000);
  await exited;
  clearTimeout(timer);
}

function earlyExit(p: { proc: ChildProcess; output(): string }, what: string, graceMs: number): Promise<void> {
  // A binary that dies at once (wrong path, missing defaults file) should fail the run
  // with its own words rather than as an "online" timeout later.
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, graceMs);
    p.proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited at start (${code ?? signal}):\n${p.output().slice(-4000)}`));
    });
    p.proc.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${what} could not start: ${err.message}`));
    });
  });
}

/** ArduCopter SITL from $RINGWATCH_SITL_ARDUCOPTER with $RINGWATCH_SITL_DEFAULTS. */
export function arducopterSitl(): FieldTarget {
  const bin = process.env['RINGWATCH_SITL_ARDUCOPTER'];
  const defaults = process.env['RINGWATCH_SITL_DEFAULTS'];
  const speedup = Number(process.env['RINGWATCH_SITL_SPEEDUP'] ?? 1);
  let skipReason: string | undefined;
  if (!bin) skipReason = 'RINGWATCH_SITL_ARDUCOPTER is not set (path of an arducopter SITL binary)';
  else if (!existsSync(bin)) skipReason = `RINGWATCH_SITL_ARDUCOPTER=${bin} does not exist`;
  else if (!defaults || !existsSync(defaults)) skipReason = 'RINGWATCH_SITL_DEFAULTS must name the defaults file (Tools/autotest/default_params/copter.parm)';
  else if (!Number.isFinite(speedup) || speedup < 1 || speedup > 10) skipReason = `RINGWATCH_SITL_SPEEDUP must be 1-10, got ${process.env['RINGWATCH_SITL_SPEEDUP']}`;
  else if (!inPrivateNetns()) skipReason = netnsReason;
  return {
    name: 'ArduCopter SITL',
    autopilot: 'ardupilot',
    speed: speedup,
    systemId: 1,
    sim: false,
    skipReason,
    // SERIAL0 as a TCP server on 5760 that does not wait for a client (tcp:0 without :wait).
    mavlinkUrl: async () => 'tcp://127.0.0.1:5760',
    async startAutopilot(dock, dir) {
      // A fresh working directory is a cold start: no eeprom.bin, no logs, no stored mission.
      const p = spawnLogged(bin!, ['--model', '+', '--speedup', String(speedup), '--defaults', defaults!, '--home', `${dock.latDeg},${dock.lonDeg},${dock.altitudeAmslM},0`, '-I0', '--serial0', 'tcp:0'], { cwd: dir });
      await earlyExit(p, 'arducopter', 1500);
      return { output: p.output, close: () => stopGroup(p.proc) };
    },
  };
}

/**
 * PX4 SITL (SIH quadrotor) from the build folder in $RINGWATCH_SITL_PX4. It runs in a
 * fresh working directory of ours (`-w`, with the build's `etc` as its data), which is a
 * cold start — no stored parameters, dataman or eeprom — without touching the shared
 * build folder. $RINGWATCH_SITL_PX4_INSTANCE (default 0) keeps apart from another PX4 on
 * the machine (its lock and socket under /tmp are per instance); the system id is
 * instance + 1 and the GCS port stays 14550.
 */
export function px4Sitl(): FieldTarget {
  const build = process.env['RINGWATCH_SITL_PX4'];
  const instance = Number(process.env['RINGWATCH_SITL_PX4_INSTANCE'] ?? 0);
  let skipReason: string | undefined;
  if (!build) skipReason = 'RINGWATCH_SITL_PX4 is not set (a PX4 SITL build folder, build/px4_sitl_default)';
  else if (!existsSync(join(build, 'bin', 'px4')) || !existsSync(join(build, 'etc'))) skipReason = `RINGWATCH_SITL_PX4=${build} has no bin/px4 and etc/`;
  else if (!Number.isInteger(instance) || instance < 0 || instance > 9) skipReason = `RINGWATCH_SITL_PX4_INSTANCE must be 0-9, got ${process.env['RINGWATCH_SITL_PX4_INSTANCE']}`;
  else if (!inPrivateNetns()) skipReason = netnsReason;
  return {
    name: 'PX4 SITL',
    autopilot: 'px4',
    speed: 1,
    systemId: instance + 1,
    sim: false,
    skipReason,
    // PX4 sends MAVLink 2 to a GCS on UDP 14550 of localhost: ringwatch listens there.
    mavlinkUrl: async () => 'udp://0.0.0.0:14550',
    async startAutopilot(dock, dir) {
      const root = build!;
      const workDir = join(dir, 'px4-rootfs');
      mkdirSync(workDir, { recursive: true });
      const env = {
        ...process.env,
        PX4_SYS_AUTOSTART: '10040',
        PX4_SIMULATOR: 'sihsim',
        PX4_SIM_MODEL: 'sihsim_quadx',
        PX4_HOME_LAT: String(dock.latDeg),
        PX4_HOME_LON: String(dock.lonDeg),
        PX4_HOME_ALT: String(dock.altitudeAmslM),
        // SIH's battery simulator drains 100 % → 50 % in 30 s armed (SIM_BAT_DRAIN 60 s,
        // floor SIM_BAT_MIN_PCT 50 %): no aircraft's battery. ringwatch measured that drain
        // and, rightly for a real pack, turned the patrol home 36 s after take-off ("battery
        // 51%: the way home needs 103%"). Drain it over the endurance the field site declares.
        PX4_PARAM_SIM_BAT_DRAIN: String(FIELD_AIRFRAMES.px4.enduranceS),
      };
      const p = spawnLogged(join(root, 'bin', 'px4'), ['-d', '-i', String(instance), '-w', workDir, join(root, 'etc')], { cwd: workDir, env });
      await earlyExit(p, 'px4', 3000);
      return { output: p.output, close: () => stopGroup(p.proc) };
    },
  };
}

/**
 * The project's simulator as ArduCopter or as PX4, run by `ringwatch up --sim` at a time
 * acceleration ($RINGWATCH_FIELD_SIM_SPEED, default 10) so CI stays short.
 */
export function simTarget(autopilot: 'ardupilot' | 'px4', freeUdpPort: () => Promise<number>): FieldTarget {
  const speed = Number(process.env['RINGWATCH_FIELD_SIM_SPEED'] ?? 10);
  return {
    name: autopilot === 'px4' ? 'sim as PX4' : 'sim as ArduCopter',
    autopilot,
    speed,
    systemId: 1,
    sim: true,
    skipReason: Number.isFinite(speed) && speed >= 1 && speed <= 20 ? undefined : `RINGWATCH_FIELD_SIM_SPEED must be 1-20, got ${process.env['RINGWATCH_FIELD_SIM_SPEED']}`,
    // udpout://127.0.0.1:P: the simulated drone listens on P, ringwatch sends first.
    mavlinkUrl: async () => `udpout://127.0.0.1:${await freeUdpPort()}`,
    startAutopilot: async () => undefined,
  };
}

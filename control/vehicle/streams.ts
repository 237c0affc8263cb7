import { common } from 'node-mavlink';
import type { StreamContext } from './vehicle-context.ts';

/** Rates (Hz) of the messages the gateway needs; realistic for a GCS over telemetry radio. */
export interface StreamRates {
  globalPositionIntHz: number;
  vfrHudHz: number;
  sysStatusHz: number;
  gpsRawIntHz: number;
  missionCurrentHz: number;
}

export const DEFAULT_STREAM_RATES: StreamRates = {
  globalPositionIntHz: 4,
  vfrHudHz: 2,
  sysStatusHz: 1,
  gpsRawIntHz: 1,
  missionCurrentHz: 1,
};

/**
 * Asks the autopilot for the telemetry we need. ArduPilot sends only HEARTBEAT until
 * asked. SET_MESSAGE_INTERVAL (MAV_CMD 511) is preferred; when the vehicle refuses it or
 * never answers, fall back to the older REQUEST_DATA_STREAM groups. Re-asked on every
 * link regain, because an autopilot that rebooted has forgotten.
 */
export class StreamRequester {
  /** How the last request was satisfied (for diagnostics and tests). */
  method: 'none' | 'message_interval' | 'data_stream' = 'none';
  private generation = 0;
  private requestedAtMs = 0;
  /** Re-requests made because telemetry did not arrive (lost request, rebooted autopilot). */
  rerequests = 0;

  constructor(
    private readonly v: StreamContext,
    readonly rates: StreamRates = DEFAULT_STREAM_RATES,
  ) {}

  request(): void {
    const gen = ++this.generation;
    this.requestedAtMs = this.v.clock.nowMs();
    void this.run(gen);
  }

  /**
   * Watchdog, called from the link sweep: REQUEST_DATA_STREAM has no ack and may be lost,
   * and an autopilot that rebooted inside the link-lost window forgets our intervals; when
   * no position has arrived for `silenceMs`, ask again (at most once per `silenceMs`).
   */
  check(nowMs: number, silenceMs = 5000): void {
    if (!this.v.online || nowMs - this.requestedAtMs < silenceMs) return;
    const last = this.v.telemetryState.lastPositionMs ?? 0;
    if (nowMs - last < silenceMs) return;
    this.rerequests++;
    this.request();
  }

  private async run(gen: number): Promise<void> {
    const wanted: [number, number][] = [
      [common.GlobalPositionInt.MSG_ID, this.rates.globalPositionIntHz],
      [common.VfrHud.MSG_ID, this.rates.vfrHudHz],
      [common.SysStatus.MSG_ID, this.rates.sysStatusHz],
      [common.GpsRawInt.MSG_ID, this.rates.gpsRawIntHz],
      [common.MissionCurrent.MSG_ID, this.rates.missionCurrentHz],
    ];
    let refused = false;
    for (const [msgid, hz] of wanted) {
      if (gen !== this.generation || !this.v.online) return;
      const r = await this.v.commands.send({
        command: common.MavCmd.SET_MESSAGE_INTERVAL,
        params: [msgid, hz > 0 ? Math.round(1e6 / hz) : -1, 0, 0, 0, 0, 0],
      });
      if (r.status !== 'success') {
        refused = true;
        break;
      }
    }
    if (gen !== this.generation) return;
    if (!refused) {
      this.method = 'message_interval';
      return;
    }
    this.requestDataStreams();
  }

  /** REQUEST_DATA_STREAM has no ack; its effect shows up as telemetry. */
  private requestDataStreams(): void {
    const groups: [number, number][] = [
      [common.MavDataStream.POSITION, this.rates.globalPositionIntHz],
      [common.MavDataStream.EXTRA2, this.rates.vfrHudHz],
      [common.MavDataStream.EXTENDED_STATUS, Math.max(this.rates.sysStatusHz, this.rates.gpsRawIntHz, this.rates.missionCurrentHz)],
    ];
    for (const [stream, hz] of groups) {
      const m = new common.RequestDataStream();
      m.targetSystem = this.v.systemId;
      m.targetComponent = this.v.componentId;
      m.reqStreamId = stream;
      m.reqMessageRate = Math.max(1, Math.round(hz));
      m.startStop = 1;
      this.v.send(m);
    }
    this.method = 'data_stream';
  }

  close(): void {
    this.generation++;
  }
}

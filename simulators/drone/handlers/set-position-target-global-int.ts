import { common } from 'node-mavlink';
import type { Handler } from './index.ts';
import { guidedTargetOutsideFence } from './guided-target-fence.ts';

const M = common.PositionTargetTypemask;
const POS_IGNORED = M.X_IGNORE | M.Y_IGNORE | M.Z_IGNORE;
const VEL_IGNORED = M.VX_IGNORE | M.VY_IGNORE | M.VZ_IGNORE;
const F = common.MavFrame;

/**
 * SET_POSITION_TARGET_GLOBAL_INT: followed only in the personality's guided mode (Copter
 * GUIDED, PX4 Offboard) and never acked (there is no ack for this message); elsewhere it
 * is silently ignored. PX4 SITL in Hold did not move (issue 17).
 */
export const handleSetPositionTargetGlobalInt: Handler<common.SetPositionTargetGlobalInt> = (v, _peer, m) => {
  if (v.ap.mode !== v.personality.positionTargetMode) return;
  const frame = m.coordinateFrame;
  if (frame !== F.GLOBAL_INT && frame !== F.GLOBAL_RELATIVE_ALT_INT && frame !== F.GLOBAL_TERRAIN_ALT_INT &&
    frame !== F.GLOBAL && frame !== F.GLOBAL_RELATIVE_ALT && frame !== F.GLOBAL_TERRAIN_ALT) return;
  if ((m.typeMask & POS_IGNORED) === 0) {
    const amsl = frame === F.GLOBAL_INT || frame === F.GLOBAL;
    // Copter's set_destination refuses a target outside the fence; with no ack for this
    // message the target is simply not taken and the previous one stays.
    if (guidedTargetOutsideFence(v, { latDeg: m.latInt / 1e7, lonDeg: m.lonInt / 1e7 })) return;
    v.ap.guidedGoto({ latDeg: m.latInt / 1e7, lonDeg: m.lonInt / 1e7, altAmslM: amsl ? m.alt : v.ap.home.altAmslM + m.alt });
  } else if ((m.typeMask & VEL_IGNORED) === 0) {
    v.ap.guidedVelocity(m.vx, m.vy, -m.vz); // NED: vz positive down
  }
};

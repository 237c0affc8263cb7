import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../http-errors.ts';
import type { ControlService } from '../../service.ts';
import type { Operations } from '../../ops/operations.ts';

/** The running control service, or a 503 that says what is missing. */
export function needControl(deps: ApiDeps): ControlService {
  if (!deps.control) throw new ApiError('API_ERR_UNAVAILABLE', 'the MAVLink control service is not running');
  return deps.control;
}

export function needOps(deps: ApiDeps): Operations {
  if (!deps.ops) throw new ApiError('API_ERR_UNAVAILABLE', 'operations (patrols, alarms, broadcasts) are not running');
  return deps.ops;
}

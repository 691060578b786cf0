/** Battery Level -> device status battery (percent). A reserved value updates nothing. */
import { ConversionProblemCode } from '../../errors.js';
import type { StatusResult } from '../../profile.js';
import { Unit } from '../../../units.js';
import type { BatteryLevel } from './decode.js';

export function toDeviceStatus(decoded: BatteryLevel): StatusResult {
  if (decoded.level === null) {
    return {
      status: {},
      problems: [
        { code: ConversionProblemCode.invalidValue, detail: 'battery level: reserved value (above 100)' },
      ],
    };
  }
  return { status: { battery: { value: decoded.level, unit: Unit.percent } }, problems: [] };
}

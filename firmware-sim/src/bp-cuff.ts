/**
 * A simulated blood pressure cuff (Bluetooth SIG Blood Pressure Service 1.0): each measurement is
 * indicated on Blood Pressure Measurement (0x2A35) as the real characteristic bytes, built by the
 * blood-pressure profile's encoder. mmHg by default, or kPa at 0.1 kPa resolution like cuffs sold
 * in kPa markets; time stamp and pulse rate fields on by default. Like real cuffs it stores
 * measurements taken while no gateway is connected and sends them on reconnection.
 */
import { bloodPressure, dateTimeFromDate } from '@wardline/protocol';
import { SimulatedDevice, type DeviceModel, type SimulatedDeviceOptions } from './device.js';
import type { VitalSigns } from './scenarios.js';

const MMHG_PER_KPA = 7.500617;

export interface BpCuffOptions extends SimulatedDeviceOptions {
  /** Pressure unit on the wire (flags bit 0). Default 'mmHg'. */
  units?: bloodPressure.PressureUnit;
  /** Send the Time Stamp field (flags bit 1). Default true. */
  timestamp?: boolean;
  /** Send the Pulse Rate field (flags bit 2). Default true. */
  pulseRate?: boolean;
  /** Send this User ID (flags bit 3); omitted by default. */
  userId?: number;
  /** Send the Measurement Status field (flags bit 4). Default false. */
  measurementStatus?: boolean;
  /** Measurements kept while disconnected. Default 50. */
  memory?: number;
}

export interface CuffMeasurement {
  measurement: bloodPressure.BloodPressureMeasurement;
  bytes: Buffer;
  /** The device time of the measurement (whole seconds, as the time stamp carries). */
  at: Date;
}

export class SimulatedBpCuff extends SimulatedDevice {
  readonly model: DeviceModel = 'bp-cuff';
  readonly profile = bloodPressure.profile;
  readonly primaryCharacteristic = bloodPressure.BLOOD_PRESSURE_MEASUREMENT_UUID;
  protected readonly keepLimit: number;
  readonly units: bloodPressure.PressureUnit;
  private readonly options: BpCuffOptions;

  constructor(options: BpCuffOptions) {
    super(options);
    this.options = options;
    this.units = options.units ?? 'mmHg';
    this.keepLimit = options.memory ?? 50;
  }

  /**
   * Builds the characteristic value for a reading and indicates it (or stores it). `status` sets
   * Measurement Status bits as a cuff reports them (a loose cuff, movement, an irregular pulse);
   * giving it sends the Measurement Status field whatever the `measurementStatus` option says.
   */
  measure(
    vitals: VitalSigns,
    at: Date = new Date(this.now()),
    status?: Partial<bloodPressure.MeasurementStatus>,
  ): CuffMeasurement {
    const time = new Date(Math.floor(at.getTime() / 1000) * 1000);
    const kpa = this.units === 'kPa';
    const pressure = (mmHg: number) => (kpa ? Math.round((mmHg / MMHG_PER_KPA) * 10) / 10 : mmHg);
    const measurement: bloodPressure.BloodPressureMeasurement = {
      unit: this.units,
      systolic: pressure(vitals.systolic),
      diastolic: pressure(vitals.diastolic),
      meanArterial: pressure(vitals.meanArterial),
    };
    if (this.options.timestamp ?? true) measurement.timestamp = dateTimeFromDate(time);
    if (this.options.pulseRate ?? true) measurement.pulseRate = vitals.pulseRate;
    if (this.options.userId !== undefined) measurement.userId = this.options.userId;
    if (this.options.measurementStatus || status !== undefined) {
      measurement.measurementStatus = {
        bodyMovement: false,
        cuffTooLoose: false,
        irregularPulse: false,
        pulseRateRange:
          vitals.pulseRate > 100 ? 'aboveUpperLimit' : vitals.pulseRate < 50 ? 'belowLowerLimit' : 'within',
        improperPosition: false,
        ...status,
      };
    }
    const bytes = this.send(
      bloodPressure.BLOOD_PRESSURE_SERVICE_UUID,
      bloodPressure.BLOOD_PRESSURE_MEASUREMENT_UUID,
      bloodPressure.encode(measurement, kpa ? { pressureExponent: -1 } : {}),
      { keepWhileDisconnected: true },
    );
    return { measurement, bytes, at: time };
  }

  /** BLS 3.3 Blood Pressure Feature: no optional feature supported. */
  protected override readProfile(characteristicUuid: string): Uint8Array | undefined {
    return characteristicUuid === bloodPressure.BLOOD_PRESSURE_FEATURE_UUID ? Uint8Array.of(0, 0) : undefined;
  }

  /** Sends arbitrary bytes on the measurement characteristic: for fault-injection tests. */
  sendRaw(bytes: Uint8Array): Buffer {
    return this.send(
      bloodPressure.BLOOD_PRESSURE_SERVICE_UUID,
      bloodPressure.BLOOD_PRESSURE_MEASUREMENT_UUID,
      bytes,
      {
        keepWhileDisconnected: false,
      },
    );
  }
}

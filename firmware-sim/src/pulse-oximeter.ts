/**
 * A simulated fingertip pulse oximeter (Bluetooth SIG Pulse Oximeter Service 1.0): spot-checks
 * indicated on PLX Spot-check Measurement (0x2A5E) with a time stamp, kept while disconnected
 * and sent on reconnection (flagged "data from measurement storage"); optionally a continuous
 * stream on PLX Continuous Measurement (0x2A5F) while connected.
 */
import { dateTimeFromDate, pulseOximeter } from '@wardline/protocol';
import { SimulatedDevice, type DeviceModel, type SimulatedDeviceOptions } from './device.js';

export interface PulseOximeterOptions extends SimulatedDeviceOptions {
  /** Spot-checks kept while disconnected. Default 20. */
  memory?: number;
}

export interface SpotCheckTaken {
  measurement: pulseOximeter.PlxSpotCheck;
  bytes: Buffer;
  at: Date;
}

const NO_STATUS: pulseOximeter.PlxMeasurementStatus = pulseOximeter.decodeMeasurementStatus(0);
const NO_DEVICE_STATUS: pulseOximeter.PlxDeviceStatus = pulseOximeter.decodeDeviceStatus(0);

export interface SpotCheckStatus {
  /** Measurement Status bit 14: questionable measurement detected. */
  questionable?: boolean;
  /** Device and Sensor Status bits, e.g. { lowPerfusionDetected: true }. */
  device?: Partial<pulseOximeter.PlxDeviceStatus>;
}

export class SimulatedPulseOximeter extends SimulatedDevice {
  readonly model: DeviceModel = 'pulse-oximeter';
  readonly profile = pulseOximeter.profile;
  readonly primaryCharacteristic = pulseOximeter.PLX_SPOT_CHECK_UUID;
  protected readonly keepLimit: number;

  constructor(options: PulseOximeterOptions) {
    super(options);
    this.keepLimit = options.memory ?? 20;
  }

  /**
   * A spot-check: SpO2 in %, pulse rate in bpm (null sends the special value NaN). `status` sets
   * what the device reports about the signal (low perfusion, a displaced sensor, a questionable
   * measurement): giving device-status bits sends the Device and Sensor Status field.
   */
  spotCheck(
    spo2: number | null,
    pulseRate: number | null,
    at: Date = new Date(this.now()),
    status: SpotCheckStatus = {},
  ): SpotCheckTaken {
    const time = new Date(Math.floor(at.getTime() / 1000) * 1000);
    const measurement: pulseOximeter.PlxSpotCheck = {
      spo2,
      pulseRate,
      timestamp: dateTimeFromDate(time),
      measurementStatus: {
        ...NO_STATUS,
        validatedData: !status.questionable,
        dataFromMeasurementStorage: !this.connected,
        questionableMeasurementDetected: status.questionable ?? false,
      },
      deviceClockNotSet: false,
    };
    if (status.device !== undefined) measurement.deviceStatus = { ...NO_DEVICE_STATUS, ...status.device };
    const bytes = this.send(
      pulseOximeter.PULSE_OXIMETER_SERVICE_UUID,
      pulseOximeter.PLX_SPOT_CHECK_UUID,
      pulseOximeter.encodeSpotCheck(measurement),
      { keepWhileDisconnected: true },
    );
    return { measurement, bytes, at: time };
  }

  /** One continuous sample (only while connected: a stream is not stored). */
  continuous(spo2: number | null, pulseRate: number | null): Buffer {
    return this.send(
      pulseOximeter.PULSE_OXIMETER_SERVICE_UUID,
      pulseOximeter.PLX_CONTINUOUS_UUID,
      pulseOximeter.encodeContinuous({ spo2, pulseRate }),
      { keepWhileDisconnected: false },
    );
  }

  /** PLXS 3.3 PLX Features: spot-check and continuous supported, no optional fields (u16 0). */
  protected override readProfile(characteristicUuid: string): Uint8Array | undefined {
    return characteristicUuid === pulseOximeter.PLX_FEATURES_UUID ? Uint8Array.of(0, 0) : undefined;
  }
}

/**
 * A simulated thermometer (Bluetooth SIG Health Thermometer Service 1.0): each reading indicated
 * on Temperature Measurement (0x2A1C) as IEEE 11073 FLOAT, in °C or °F at 0.1 resolution, with
 * time stamp and temperature type; kept while disconnected and sent on reconnection.
 */
import { dateTimeFromDate, fahrenheitToCelsius, healthThermometer } from '@wardline/protocol';
import { SimulatedDevice, type DeviceModel, type SimulatedDeviceOptions } from './device.js';

export interface ThermometerOptions extends SimulatedDeviceOptions {
  unit?: healthThermometer.TemperatureUnit;
  /** Sent as the Temperature Type field. Default 'tympanum' (an ear thermometer). */
  site?: healthThermometer.TemperatureType;
  memory?: number;
}

export interface TemperatureTaken {
  measurement: healthThermometer.TemperatureMeasurement;
  bytes: Buffer;
  at: Date;
}

export class SimulatedThermometer extends SimulatedDevice {
  readonly model: DeviceModel = 'thermometer';
  readonly profile = healthThermometer.profile;
  readonly primaryCharacteristic = healthThermometer.TEMPERATURE_MEASUREMENT_UUID;
  protected readonly keepLimit: number;
  readonly unit: healthThermometer.TemperatureUnit;
  readonly site: healthThermometer.TemperatureType;

  constructor(options: ThermometerOptions) {
    super(options);
    this.unit = options.unit ?? 'celsius';
    this.site = options.site ?? 'tympanum';
    this.keepLimit = options.memory ?? 20;
  }

  /** A reading of `celsius` (null: the device's NaN), sent in the device's unit at 0.1. */
  measure(celsius: number | null, at: Date = new Date(this.now())): TemperatureTaken {
    const time = new Date(Math.floor(at.getTime() / 1000) * 1000);
    const value =
      celsius === null
        ? null
        : this.unit === 'fahrenheit'
          ? Math.round(((celsius * 9) / 5) * 10 + 320) / 10
          : Math.round(celsius * 10) / 10;
    const measurement: healthThermometer.TemperatureMeasurement = {
      unit: this.unit,
      temperature: value,
      timestamp: dateTimeFromDate(time),
      temperatureType: this.site,
    };
    const bytes = this.send(
      healthThermometer.HEALTH_THERMOMETER_SERVICE_UUID,
      healthThermometer.TEMPERATURE_MEASUREMENT_UUID,
      healthThermometer.encode(measurement, { exponent: -1 }),
      { keepWhileDisconnected: true },
    );
    return { measurement, bytes, at: time };
  }

  /** The °C the gateway should report for a reading taken in this device's unit. */
  expectedCelsius(taken: TemperatureTaken): number | null {
    const t = taken.measurement.temperature;
    return t === null ? null : this.unit === 'fahrenheit' ? fahrenheitToCelsius(t) : t;
  }

  protected override readProfile(characteristicUuid: string): Uint8Array | undefined {
    if (characteristicUuid !== healthThermometer.TEMPERATURE_TYPE_UUID) return undefined;
    return Uint8Array.of(healthThermometer.TEMPERATURE_TYPES.indexOf(this.site) + 1);
  }
}

import Type, { type Static } from 'typebox';
import { MAX_BATCH_SIZE } from './codes.js';
import { DEVICE_ID_PATTERN, UTC_TIMESTAMP_PATTERN } from './ids.js';
import { Unit } from './units.js';

export const STATUS_VERSION = 1;

export const DeviceStatus = Type.Object(
  {
    deviceId: Type.String({ pattern: DEVICE_ID_PATTERN }),
    connected: Type.Boolean(),
    lastSeen: Type.String({ pattern: UTC_TIMESTAMP_PATTERN }),
    battery: Type.Optional(
      Type.Object(
        { value: Type.Number({ minimum: 0, maximum: 100 }), unit: Type.Literal(Unit.percent) },
        { additionalProperties: false },
      ),
    ),
    rssi: Type.Optional(
      Type.Object(
        { value: Type.Number({ minimum: -127, maximum: 20 }), unit: Type.Literal(Unit.dBm) },
        { additionalProperties: false },
      ),
    ),
    /** A stable code for the last device-level fault (for example a decode error), if any. */
    lastError: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type DeviceStatus = Static<typeof DeviceStatus>;

export const DeviceStatusBatch = Type.Object(
  {
    v: Type.Literal(STATUS_VERSION),
    devices: Type.Array(DeviceStatus, { minItems: 1, maxItems: MAX_BATCH_SIZE }),
  },
  { additionalProperties: false },
);
export type DeviceStatusBatch = Static<typeof DeviceStatusBatch>;

export const GatewayState = { online: 'online', offline: 'offline' } as const;
export type GatewayState = (typeof GatewayState)[keyof typeof GatewayState];

/** Retained on the status topic; the gateway's MQTT last will publishes the offline form. */
export const GatewayStatus = Type.Object(
  {
    v: Type.Literal(STATUS_VERSION),
    state: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
    at: Type.String({ pattern: UTC_TIMESTAMP_PATTERN }),
    software: Type.Optional(Type.String({ maxLength: 64 })),
    outbox: Type.Optional(
      Type.Object(
        { pending: Type.Integer({ minimum: 0 }), capacity: Type.Integer({ minimum: 0 }) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type GatewayStatus = Static<typeof GatewayStatus>;

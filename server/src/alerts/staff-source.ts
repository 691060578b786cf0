/** Staff-entered observations carry this device-id prefix instead of a device's address. */
export const STAFF_SOURCE_PREFIX = 'staff:';
export const STAFF_GATEWAY_ID = 'staff-entry';

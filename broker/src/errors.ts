/**
 * Stable codes for everything the broker refuses or fails on. Operators and tests rely on the
 * code, not the text; a code, once published, keeps its meaning.
 */
export const RefusalCode = {
  noCredentials: 'NO_CREDENTIALS',
  unknownUser: 'UNKNOWN_USER',
  badPassword: 'BAD_PASSWORD',
  clientIdRejected: 'CLIENT_ID_REJECTED',
  clientIdReserved: 'CLIENT_ID_RESERVED',
  clientIdNotOwned: 'CLIENT_ID_NOT_OWNED',
  authBusy: 'AUTH_BUSY',
  authBackoff: 'AUTH_BACKOFF',
  tooManyConnections: 'TOO_MANY_CONNECTIONS',
  willNotAllowed: 'WILL_NOT_ALLOWED',
  publishNotAllowed: 'PUBLISH_NOT_ALLOWED',
  subscribeNotAllowed: 'SUBSCRIBE_NOT_ALLOWED',
  payloadTooLarge: 'PAYLOAD_TOO_LARGE',
  frameTooLarge: 'FRAME_TOO_LARGE',
  unknownClient: 'UNKNOWN_CLIENT',
} as const;
export type RefusalCode = (typeof RefusalCode)[keyof typeof RefusalCode];

export const refusalDescriptions: Record<RefusalCode, string> = {
  NO_CREDENTIALS: 'client connected without a user name and password',
  UNKNOWN_USER: 'user name is not in the users file',
  BAD_PASSWORD: 'password does not match the user',
  CLIENT_ID_REJECTED: 'empty client id with a persistent session',
  CLIENT_ID_RESERVED: 'client ids starting with wardline-server are reserved for the server role',
  CLIENT_ID_NOT_OWNED:
    "client id is not this identity's: a gateway uses its user name or {username}:{suffix}, the server an id starting with wardline-server",
  AUTH_BUSY: 'too many password checks already waiting; try again shortly',
  AUTH_BACKOFF:
    'too many failed connects for this user name (or for several) from this address; refused unchecked until the back-off ends',
  TOO_MANY_CONNECTIONS: 'this identity already holds as many connections as it may',
  WILL_NOT_ALLOWED: 'last will topic is not one this identity may publish to',
  PUBLISH_NOT_ALLOWED: 'topic is not one this identity may publish to',
  SUBSCRIBE_NOT_ALLOWED: 'topic filter is not one this identity may subscribe to',
  PAYLOAD_TOO_LARGE: 'payload larger than the broker accepts',
  FRAME_TOO_LARGE: 'MQTT packet larger than the broker accepts; connection closed before reading it',
  UNKNOWN_CLIENT: 'message without an authenticated identity',
};

/** MQTT 3.1.1 CONNACK return codes the broker sends (section 3.2.2.3, Table 3.1). */
export const ConnackCode = {
  identifierRejected: 2,
  serverUnavailable: 3,
  badUsernameOrPassword: 4,
  notAuthorized: 5,
} as const;
export type ConnackCode = (typeof ConnackCode)[keyof typeof ConnackCode];

/** Handed to aedes callbacks so that the broker can tell its own refusals from client faults. */
export class RefusalError extends Error {
  readonly code: RefusalCode;
  /** Read by aedes when the refusal happens at CONNECT. */
  readonly returnCode: ConnackCode | undefined;

  constructor(code: RefusalCode, returnCode?: ConnackCode) {
    super(`${code}: ${refusalDescriptions[code]}`);
    this.name = 'RefusalError';
    this.code = code;
    this.returnCode = returnCode;
  }
}

export const BrokerErrorCode = {
  configInvalid: 'BROKER_CONFIG_INVALID',
  usersFileInvalid: 'BROKER_USERS_FILE_INVALID',
} as const;
export type BrokerErrorCode = (typeof BrokerErrorCode)[keyof typeof BrokerErrorCode];

/** A start-up problem the operator must fix (bad environment, unreadable or invalid users file). */
export class BrokerError extends Error {
  readonly code: BrokerErrorCode;

  constructor(code: BrokerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BrokerError';
    this.code = code;
  }
}

import { RefusalCode, refusalDescriptions } from '../errors.js';

/** The aedes broker's refusal codes, plus those only RabbitMQ's questions can lead to. */
export const RabbitRefusalCode = {
  ...RefusalCode,
  vhostNotAllowed: 'VHOST_NOT_ALLOWED',
  resourceNotAllowed: 'RESOURCE_NOT_ALLOWED',
  mqttOnly: 'MQTT_ONLY',
  notAuthenticated: 'NOT_AUTHENTICATED',
  badRequest: 'BAD_REQUEST',
} as const;
export type RabbitRefusalCode = (typeof RabbitRefusalCode)[keyof typeof RabbitRefusalCode];

export const rabbitRefusalDescriptions: Record<RabbitRefusalCode, string> = {
  ...refusalDescriptions,
  VHOST_NOT_ALLOWED: 'virtual host is not the one Wardline uses',
  RESOURCE_NOT_ALLOWED: 'exchange or queue is not one this identity may use that way',
  MQTT_ONLY: 'gateways connect over MQTT only (the question carried no client id)',
  NOT_AUTHENTICATED: 'question about a user that is not (or no longer) in the users file or credentials',
  BAD_REQUEST: 'question from RabbitMQ lacks a parameter the contract names',
};

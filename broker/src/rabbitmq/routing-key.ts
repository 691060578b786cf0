/**
 * RabbitMQ's MQTT plugin (3.10.8, observed) turns an MQTT topic into an AMQP routing key by
 * replacing `/` with `.` and `+` with `*`; a `.` inside an MQTT topic level is left alone, so it
 * becomes a level separator too. The rules are written for MQTT topics, so a routing key is mapped
 * back before they are applied. Judging the routing key (what the message is actually routed by)
 * rather than the topic the client typed means `a/b.c` and `a/b/c`, which route the same, are
 * judged the same.
 */
export function topicOfRoutingKey(routingKey: string): string {
  return routingKey
    .split('.')
    .map((word) => (word === '*' ? '+' : word))
    .join('/');
}

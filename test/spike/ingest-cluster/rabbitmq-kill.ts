/**
 * The property the ingest decision rests on, on its own (about 1-2 minutes, mostly the cluster's
 * start): a reading the RabbitMQ cluster acknowledged (PUBACK) to a gateway survives kill -9 of the
 * very node the gateway published through, which also led the quorum queue.
 *
 *   npx tsx test/spike/ingest-cluster/rabbitmq-kill.ts
 *
 * Not in `npm test` until RabbitMQ carries ingest (the failover suite will then cover it).
 */
import { deepStrictEqual, strictEqual } from 'node:assert';
import amqp from 'amqplib';
import mqtt from 'mqtt';
import { startRabbitCluster, waitNodeDown } from '../../src/cluster/rabbitmq.js';

const cluster = await startRabbitCluster({ nodes: 3 });
try {
  const [first, second] = cluster.nodes;
  const setup = await amqp.connect(first!.amqpUrl);
  const channel = await setup.createChannel();
  await channel.assertQueue('readings', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.bindQueue('readings', 'amq.topic', 'wl.*.*.obs');
  await setup.close();

  const gateway = await mqtt.connectAsync(first!.mqttUrl, {
    clientId: 'gw-harness',
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  const ids = Array.from({ length: 200 }, (_, i) => `reading-${i}`);
  // publishAsync resolves on PUBACK: each of these the gateway may forget.
  await Promise.all(ids.map((id) => gateway.publishAsync('wl/site/gw-harness/obs', id, { qos: 1 })));
  await gateway.endAsync(true);

  await first!.kill9();
  await waitNodeDown(cluster, first!, second!);

  const consumer = await amqp.connect(second!.amqpUrl);
  consumer.on('error', () => undefined);
  const consuming = await consumer.createChannel();
  const received: string[] = [];
  // Until the queue (its new leader on a survivor) says it is empty.
  for (let message = await consuming.get('readings'); message; message = await consuming.get('readings')) {
    received.push(message.content.toString());
    consuming.ack(message);
  }
  await consumer.close();
  deepStrictEqual([...new Set(received)].sort(), [...ids].sort());
  strictEqual((await cluster.runningNodes(second!)).length, 2);
  console.log(
    `PUBACKed ${ids.length}, read back ${new Set(received).size} after kill -9 of the queue's leader: lost 0`,
  );
} finally {
  await cluster.stop();
}

// kafkajs over SASL_SSL with SCRAM-SHA-512: produce two records, read them back as a group,
// then try a wrong password. Arguments: broker ca.pem user password topic.
const { Kafka, logLevel } = require('kafkajs');
const fs = require('fs');

const [broker, caFile, username, password, topic] = process.argv.slice(2);
const client = (pw) => new Kafka({
  clientId: 'kafkajs-it',
  brokers: [broker],
  ssl: { ca: [fs.readFileSync(caFile, 'utf-8')] },
  sasl: { mechanism: 'scram-sha-512', username, password: pw },
  logLevel: logLevel.NOTHING,
  retry: { retries: 2 },
});

(async () => {
  const kafka = client(password);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  await admin.disconnect();

  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ key: 'k1', value: 'hello' }, { key: 'k2', value: 'world' }] });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: topic + '-js' });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = [];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no records in 30 s')), 30000);
    consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.key.toString() + '=' + message.value.toString());
        if (seen.length === 2) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  console.log('kafkajs read ' + seen.join(','));

  const bad = client('wrong-password').producer();
  try {
    await bad.connect();
    console.log('wrong password: CONNECTED');
  } catch (e) {
    console.log('wrong password: refused (' + (e.type || e.name) + ')');
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});

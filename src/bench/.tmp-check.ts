import { connect } from 'mqtt';
import { startBroker } from './brokers.js';
import { qos1OneToOne, QUICK_SCALE } from './workloads.js';

const b = await startBroker('tsunagu', { tsunaguRunner: 'tsx', tsunaguHost: 'platform', tsunaguNodeArgs: [] });
try {
  const r = await qos1OneToOne(b, { ...QUICK_SCALE, client: 'raw', qos1Messages: 50_000, qos1Window: 128, timeoutMs: 60_000 });
  console.log(JSON.stringify(r));
  const c = connect(b.url, { reconnectPeriod: 0 });
  await new Promise((r2) => c.once('connect', r2));
  c.subscribe('$SYS/#');
  c.on('message', (t, p) => { if (/drop|sent|received/.test(t)) console.log(t, p.toString()); });
  await new Promise((r2) => setTimeout(r2, 11_000));
  await c.endAsync();
} finally {
  await b.stop();
}

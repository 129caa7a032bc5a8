import { benchIngest } from '/work/main/src/telemetry/bench.js';
await benchIngest({ postgres: 'postgres://postgres@127.0.0.1:5432/test', seconds: Number(process.env.SECS ?? 2) });

-- Example Grafana panel queries on Tsunagu's telemetry views (PostgreSQL data source on the
-- Tsunagu database, a read-only role; docs/observability.md "Telemetry in Grafana").
-- Dashboard variables: $device (device id), $metric (metric name). Filter on ts_ms (indexed);
-- "time" is what Grafana plots. src/telemetry/grafana-views.test.ts runs each query below.

-- panel: one metric of one device, raw points (time series; for ranges up to a few hours)
SELECT "time", value AS "$metric"
FROM tsunagu_telemetry_points
WHERE device_id = '$device' AND metric = '$metric'
  AND ts_ms >= $__unixEpochFrom()::bigint * 1000 AND ts_ms < $__unixEpochTo()::bigint * 1000
ORDER BY ts_ms;

-- panel: per-minute average, min and max (time series; days)
SELECT "time", avg, min, max
FROM tsunagu_telemetry_1m
WHERE device_id = '$device' AND metric = '$metric'
  AND ts_ms >= $__unixEpochFrom()::bigint * 1000 AND ts_ms < $__unixEpochTo()::bigint * 1000
ORDER BY ts_ms;

-- panel: fleet average per hour, one series per metric (time series; weeks)
SELECT "time", metric, sum(sum) / sum(count) AS avg
FROM tsunagu_telemetry_1h
WHERE ts_ms >= $__unixEpochFrom()::bigint * 1000 AND ts_ms < $__unixEpochTo()::bigint * 1000
GROUP BY "time", metric
ORDER BY "time";

-- panel: latest state of one device (table)
SELECT metric, "time", value, text, last_seen
FROM tsunagu_device_state
WHERE device_id = '$device'
ORDER BY metric;

-- panel: device events (table or annotations)
SELECT "time", device_id, code, severity, message
FROM tsunagu_device_events
WHERE ts_ms >= $__unixEpochFrom()::bigint * 1000 AND ts_ms < $__unixEpochTo()::bigint * 1000
ORDER BY ts_ms DESC
LIMIT 100;

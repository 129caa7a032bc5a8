/**
 * The built-in profiles, kept as YAML text so they read exactly like a user's profile file and go
 * through the same validation. A user file may say `extends: scooter` and override any field.
 */
export const BUILTIN_PROFILES: Record<string, string> = {
  scooter: `
name: scooter
kind: scooter
heartbeat:
  intervalS: 30
telemetry:
  intervalS: 10         # while riding
  idleIntervalS: 300    # parked
commands:
  latency: { dist: lognormal, p50Ms: 150, p99Ms: 900 }
  failureRate: 0.02
events:
  ratePerHour: 0.05     # spontaneous hardware errors per device
  codes:
    - { code: E_MOTOR_OVERTEMP, severity: warning, message: motor temperature high }
    - { code: E_BRAKE_SENSOR, severity: error, message: brake sensor not responding }
    - { code: E_LOCK_JAM, severity: critical, message: lock actuator jammed }
    - { code: E_BATTERY_CELL, severity: error, message: battery cell imbalance }
faults:
  batteryPerHour: 0     # silent mid-ride battery failure
  burstPerHour: 0       # bursts of hardware errors
  burstSize: 5
  dropPerHour: 0        # network drop, reconnect after dropDownS
  dropDownS: 20
  flapPerHour: 0        # repeated drop/reconnect
  flapCycles: 5
  flapPeriodS: 4
  slowReplyShare: 0     # share of command replies delayed by slowReplyExtraMs
  slowReplyExtraMs: 5000
  malformedShare: 0     # share of telemetry messages replaced by a malformed payload
telegram:
  share: 0.1            # share of scooters on CSV telegrams (only with --telegram host:port)
  checksum: crc16-ccitt
scooter:
  route:                # waypoints (lat, lon) ridden in a loop, each device starting elsewhere
    - [52.5200, 13.4050]
    - [52.5163, 13.3777]
    - [52.5096, 13.3759]
    - [52.5074, 13.3904]
    - [52.5110, 13.4130]
    - [52.5186, 13.4081]
  tripsPerHour: 2       # how often a parked scooter starts a ride
  tripDurationS: [300, 1200]
  speedKmh: [12, 24]
  batteryStartPct: [40, 100]
  drainPctPerKm: 1.5
`,
  boiler: `
name: boiler
kind: boiler
heartbeat:
  intervalS: 60
telemetry:
  intervalS: 60
  idleIntervalS: 60
commands:
  latency: { dist: lognormal, p50Ms: 300, p99Ms: 2000 }
  failureRate: 0.01
events:
  ratePerHour: 0.01
  codes:
    - { code: F28_IGNITION, severity: error, message: no ignition }
    - { code: F22_LOW_PRESSURE, severity: critical, message: water pressure too low }
    - { code: W01_SENSOR_DRIFT, severity: warning, message: flow sensor drift }
faults:
  batteryPerHour: 0     # power loss: the controller goes silent for the rest of the run
  burstPerHour: 0.02
  burstSize: 3
  dropPerHour: 0.05
  dropDownS: 60
  flapPerHour: 0
  flapCycles: 5
  flapPeriodS: 10
  slowReplyShare: 0
  slowReplyExtraMs: 10000
  malformedShare: 0
telegram:
  share: 0
  checksum: none
boiler:
  readings:
    flowTemp: { mean: 65, sd: 1.5 }
    returnTemp: { mean: 45, sd: 1.5 }
    co2: { mean: 650, sd: 80 }
    humidity: { mean: 45, sd: 4 }
  setpoints:
    applyDelayS: [5, 30]
    initial: { flowTempSetpoint: 65, mode: heat }
    refuseRate: 0.05
`,
};

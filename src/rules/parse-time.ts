/**
 * `parse_time(pattern, timestamp[, timeZone])` formats epoch milliseconds with a Joda-Time pattern,
 * as AWS does. Supported letters: y M d H h m s S a E Z (and 'quoted text'); a time zone is an IANA
 * name (default UTC); `z` and `ZZZ` print the zone's name. Other letters are copied as they are (docs/rules.md).
 */
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

interface Parts {
  y: number;
  M: number;
  d: number;
  H: number;
  m: number;
  s: number;
  S: number;
  E: number;
  offsetMin: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsIn(ms: number, tz: string): Parts | undefined {
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return undefined;
  if (tz === 'UTC' || tz === 'Z')
    return {
      y: date.getUTCFullYear(),
      M: date.getUTCMonth() + 1,
      d: date.getUTCDate(),
      H: date.getUTCHours(),
      m: date.getUTCMinutes(),
      s: date.getUTCSeconds(),
      S: date.getUTCMilliseconds(),
      E: date.getUTCDay(),
      offsetMin: 0,
    };
  let f = formatters.get(tz);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: tz,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      return undefined;
    }
    formatters.set(tz, f);
  }
  const p: Record<string, number> = {};
  for (const x of f.formatToParts(date)) if (x.type !== 'literal') p[x.type] = Number(x.value);
  const local = Date.UTC(p.year!, p.month! - 1, p.day, p.hour, p.minute, p.second);
  const offsetMin = Math.round((local - (ms - (((ms % 1000) + 1000) % 1000))) / 60_000);
  return {
    y: p.year!,
    M: p.month!,
    d: p.day!,
    H: p.hour!,
    m: p.minute!,
    s: p.second!,
    S: ((ms % 1000) + 1000) % 1000,
    E: new Date(local).getUTCDay(),
    offsetMin,
  };
}

const zoneName = (tz: string): string => (tz === 'Z' ? 'UTC' : tz);

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

function offset(min: number, colon: boolean): string {
  const sign = min < 0 ? '-' : '+';
  const a = Math.abs(min);
  return `${sign}${pad(Math.floor(a / 60), 2)}${colon ? ':' : ''}${pad(a % 60, 2)}`;
}

export function parseTime(pattern: string, ms: number, tz = 'UTC'): string | undefined {
  const p = partsIn(ms, tz);
  if (!p) return undefined;
  let out = '';
  for (let i = 0; i < pattern.length;) {
    const c = pattern[i]!;
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end === i + 1) out += "'";
      else out += pattern.slice(i + 1, end < 0 ? pattern.length : end);
      i = end < 0 ? pattern.length : end + 1;
      continue;
    }
    let n = 1;
    while (pattern[i + n] === c) n++;
    i += n;
    switch (c) {
      case 'y':
        out += n === 2 ? pad(p.y % 100, 2) : pad(p.y, n);
        break;
      case 'M':
        out += n >= 4 ? MONTHS[p.M - 1]! : n === 3 ? MONTHS[p.M - 1]!.slice(0, 3) : pad(p.M, n);
        break;
      case 'd':
        out += pad(p.d, n);
        break;
      case 'H':
        out += pad(p.H, n);
        break;
      case 'h':
        out += pad(p.H % 12 === 0 ? 12 : p.H % 12, n);
        break;
      case 'm':
        out += pad(p.m, n);
        break;
      case 's':
        out += pad(p.s, n);
        break;
      case 'S':
        out += pad(p.S, 3).slice(0, n).padEnd(n, '0');
        break;
      case 'a':
        out += p.H < 12 ? 'AM' : 'PM';
        break;
      case 'E':
        out += n >= 4 ? DAYS[p.E]! : DAYS[p.E]!.slice(0, 3);
        break;
      case 'Z':
        out += n === 1 ? offset(p.offsetMin, false) : n === 2 ? offset(p.offsetMin, true) : zoneName(tz);
        break;
      case 'z':
        out += zoneName(tz);
        break;
      default:
        out += c.repeat(n);
    }
  }
  return out;
}

import type { Severity } from '../core/index.js';

export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'error', 'critical'];
export const SEVERITY_RANK_NOTIFY: Record<Severity, number> = { info: 0, warning: 1, error: 2, critical: 3 };

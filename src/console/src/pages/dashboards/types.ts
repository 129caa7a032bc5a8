/** Dashboard shapes, from the generated API schema (src/dashboards on the server). */
import type { Res } from '../../api-types';

export type Dashboard = Res<'/dashboards/:id', 'get'>;
export type Widget = Dashboard['widgets'][number];
export type WidgetKind = Widget['kind'];
export type ModelField = Res<'/dashboards/fields', 'get'>[number];

export const KIND_LABEL: Record<WidgetKind, string> = {
  time_series: 'Time series',
  latest_value: 'Latest value',
  gauge: 'Gauge',
  service_state: 'Service state',
  map: 'Map',
  table: 'Table',
  slo_budget: 'SLO budget',
  alarm_list: 'Alarm list',
};
export const KINDS = Object.keys(KIND_LABEL) as WidgetKind[];

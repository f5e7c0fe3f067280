/** "Share weekly chart in channel" on the `/incident stats` report; its value is the window in days. */
export const STATS_CHART_ACTION_ID = 'stats_chart';

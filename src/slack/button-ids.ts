import { ALERT_ACTION_IDS } from './blocks/alert-blocks';
import { ALERT_MENU_ACTION_ID } from './blocks/alert-group-blocks';
import { DASHBOARD_LINK_ACTION, DIAGNOSE_AGAIN_ACTION_ID, REMEDIATION_ACTION_ID } from './blocks/diagnosis-blocks';
import { ACTION_ITEM_CONFIRM_ID, ACTION_ITEM_DROP_ID, POSTMORTEM_ACTION_ID } from './blocks/incident-blocks';
import { INCIDENT_ACTION_IDS } from './blocks/lifecycle-blocks';
import { FOLLOW_UP_DONE_ACTION_ID, FOLLOW_UP_EXPORT_ACTION_ID } from './blocks/follow-up-blocks';
import { APPROVE_ACTION_ID, DENY_ACTION_ID } from './blocks/remediation-blocks';
import { TAKE_COMMAND_ACTION_ID } from './blocks/room-blocks';
import { STATS_CHART_ACTION_ID } from './blocks/stats-blocks';

/**
 * Every button the bot renders, by action_id (or id pattern). `onButton` registers only ids listed here, and the
 * end-to-end test of every button (test/e2e/every-button.e2e.test.ts) clicks each one, so a new button is
 * answered and tested or the bot does not start.
 */
export const BUTTON_ACTION_IDS: readonly (string | RegExp)[] = [
  ALERT_ACTION_IDS.acknowledge,
  ALERT_ACTION_IDS.diagnose,
  ALERT_ACTION_IDS.openIncident,
  ALERT_ACTION_IDS.silence,
  ALERT_MENU_ACTION_ID,
  REMEDIATION_ACTION_ID,
  DIAGNOSE_AGAIN_ACTION_ID,
  DASHBOARD_LINK_ACTION,
  APPROVE_ACTION_ID,
  DENY_ACTION_ID,
  POSTMORTEM_ACTION_ID,
  ACTION_ITEM_CONFIRM_ID,
  ACTION_ITEM_DROP_ID,
  INCIDENT_ACTION_IDS.mitigated,
  INCIDENT_ACTION_IDS.resolve,
  TAKE_COMMAND_ACTION_ID,
  FOLLOW_UP_DONE_ACTION_ID,
  FOLLOW_UP_EXPORT_ACTION_ID,
  STATS_CHART_ACTION_ID,
];

export function isKnownButton(actionId: string | RegExp): boolean {
  return BUTTON_ACTION_IDS.some((known) =>
    typeof actionId === 'string'
      ? typeof known === 'string'
        ? known === actionId
        : known.test(actionId)
      : typeof known !== 'string' && known.source === actionId.source,
  );
}

/** The listed button an action_id belongs to (its id, or its pattern's source), or undefined. */
export function buttonOf(actionId: string): string | undefined {
  for (const known of BUTTON_ACTION_IDS) {
    if (typeof known === 'string' ? known === actionId : known.test(actionId)) return typeof known === 'string' ? known : known.source;
  }
  return undefined;
}

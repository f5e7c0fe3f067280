import type { Server as HttpNodeServer, IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import { systemClock, type Clock } from './clock';
import { secretsOf, type Config } from './config';
import type { Coordination } from './coordination/coordination';
import { createMemoryCoordination } from './coordination/memory-coordination';
import { createRedisCoordination } from './coordination/redis-coordination';
import { createReplayGuard } from './coordination/replay-guard';
import { createHealth, type Health } from './http/health';
import { healthRoutes, metricsRoute } from './http/routes';
import { createHttpServer, sendJson, type Route } from './http/server';
import { addLogSecrets, createLogger, type Logger } from './logger';
import { createDiagnosisMetrics, createDiagnosisRecorder, labelsOfAlert } from './diagnosis';
import { catalogSecrets, loadCatalog, type Catalog } from './runbooks';
import { createAlertDiagnoser, diagnoseCommandHandler, registerDiagnoseActions, type DiagnoseDeps } from './slack/listeners/diagnose';
import { runbooksCommandHandler } from './slack/listeners/runbooks';
import { createSlackPoster, isSlackUnavailable } from './slack/slack-poster';
import { createUsergroupMembership } from './slack/usergroup-membership';
import { createBotMetrics, createRegistry, type BotMetrics } from './metrics';
import { attachReceipt, createSlackApp, receiptOf, type SlackApp } from './slack/create-slack-app';
import { createEventIntake, recordDelivery, toDelivery } from './slack/event-intake';
import { createDeliverySpool } from './inbox/delivery-spool';
import { createInboxProcessor, type InboxProcessor } from './inbox/inbox-processor';
import { createInboxStore } from './store/inbox-store';
import path from 'node:path';
import { registerIncidentCommand } from './slack/listeners/incident-command-dispatch';
import { privateIncidentGuard } from './slack/listeners/private-incident-guard';
import { createSlackAuthMonitor, type SlackAuthMonitor } from './slack/slack-auth-monitor';
import { createAuditStore } from './store/audit-store';
import type { AuditStore } from './domain/audit';
import { openDatabase, type Database } from './store/database';
import { migrate } from './store/migrate';
import { createProcessedEventStore } from './store/processed-event-store';
// Alert intake, incidents, reminders
import { createAlertService } from './alerts/alert-service';
import { alertmanagerWebhookRoute } from './http/alertmanager-webhook-route';
import { createIncidentMetrics } from './incidents/incident-metrics';
import { createIncidentService } from './incidents/incident-service';
import { createReminderRunner, escalationConfig } from './incidents/reminders-and-escalations';
import { backgroundJobs } from './jobs/background-jobs';
import { createJobRunner } from './jobs/job-runner';
import { loadTemplates } from './incidents/templates';
import { findAlert, knownAlert } from './runbooks';
import { escapeMrkdwn } from './slack/blocks/mrkdwn';
import { registerAlertActions } from './slack/listeners/alert-actions';
import { createAlertIntake, type AlertIntake } from './alerts/alert-intake';
import { createAlertmanagerAlerts } from './alerts/alertmanager-alerts';
import { createStormWatch, type StormWatch } from './alerts/alert-storm';
import { createStormMessenger } from './slack/storm-messenger';
import { createAlertMessenger, type AlertMessenger } from './slack/alert-messenger';
import { registerAlertIntake } from './slack/listeners/alert-intake';
import {
  createReminderCallbacks,
  incidentCommandHandlers,
  registerIncidentViews,
  resumedOpeningContext,
  type IncidentCommandDeps,
} from './slack/listeners/incident-subcommands';
import { registerIncidentResolution } from './slack/listeners/incident-resolution';
import { contactsOfArea, contactsToPage, type RunbookContact } from './domain/escalation';
import { registerTimelineCapture } from './slack/listeners/timeline-capture';
import { linkAlertCommandHandler } from './slack/listeners/link-alert';
import { createAlertStore } from './store/alert-store';
import { createIncidentStore } from './store/incident-store';
import { createScheduledJobStore } from './store/scheduled-job-store';
import { createTimelineStore } from './store/timeline-store';
// Remediations behind approval
import { createRemediationMetrics } from './remediations/remediation-metrics';
import { createRemediationService, type RemediationServiceDeps } from './remediations/remediation-service';
import { ALERT_SILENCE_TARGET } from './remediations/alert-silence';
import {
  auditCommandHandler,
  registerRemediationActions,
  remediateCommandHandler,
  type RemediationSlackDeps,
} from './slack/listeners/remediations';
import { createRemediationStore } from './store/remediation-store';
// Post-mortem drafts
import { createPostmortemService, loadPostmortemTemplate } from './postmortem';
import { createSlackThreadReader } from './slack/slack-thread-reader';
import {
  postmortemCommandHandler,
  registerActionItemDecisions,
  registerPostmortem,
  type PostmortemDeps,
} from './slack/listeners/postmortem';
import { createPostmortemActionItemStore } from './store/postmortem-action-item-store';
import { createPostmortemStore } from './store/postmortem-store';
// Incident rooms, roles, follow-ups and reports
import { createIncidentRoles } from './incidents/room/incident-roles';
import { createIncidentRooms } from './slack/incident-room';
import { createChannelAccess } from './slack/channel-access';
import { createIncidentVisibility } from './slack/incident-visibility';
import { incidentRoleCommandHandlers, registerTakeCommand, type IncidentRoomCommandDeps } from './slack/listeners/incident-room-commands';
import {
  followUpCommandHandlers,
  registerFollowUpActions,
  remindOverdueFollowUps,
  type FollowUpSlackDeps,
} from './slack/listeners/follow-ups';
import { registerStatsChart, statsCommandHandler } from './slack/listeners/stats';
import { createFollowUpService } from './followups/follow-up-service';
import { createFollowUpExporter } from './followups/follow-up-export';
import { createIncidentRoomStore } from './store/incident-room-store';
import { createFollowUpStore } from './store/follow-up-store';
import { createReportStore } from './store/report-store';

export interface BotApp {
  config: Config;
  logger: Logger;
  registry: Registry;
  metrics: BotMetrics;
  db: Database;
  catalog: Catalog;
  coordination: Coordination;
  audit: AuditStore;
  health: Health;
  slack?: SlackApp;
  /** Starts listening; resolves with the bound port. */
  start(): Promise<number>;
  /** Graceful stop: refuse new work, finish in-flight requests (bounded), close pools. */
  stop(): Promise<void>;
}

export interface CreateAppOptions {
  /** Where the catalog's `${ENV}` target references are resolved (main passes process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  clock?: Clock;
  logger?: Logger;
  host?: string;
  /** Behind the playground the bot's own port is internal: its start line is debug, and the playground announces itself. */
  embedded?: boolean;
  /** A server already listening on the port (main's `listenWhileStarting`); `start()` takes it over. */
  server?: HttpNodeServer;
}

/**
 * The composition root: the one place that creates pools, clients, the Registry and the
 * logger, then stores → services → Slack listeners → HTTP routes.
 */
export async function createApp(config: Config, opts: CreateAppOptions = {}): Promise<BotApp> {
  const logger = opts.logger ?? createLogger({ level: config.logLevel, pretty: config.logPretty, secrets: secretsOf(config) });
  const clock = opts.clock ?? systemClock;
  const registry = createRegistry();
  const metrics = createBotMetrics(registry);

  // The database opens and migrates while the catalog and templates are read and validated: the network round trips
  // (or the embedded database's WebAssembly compilation) overlap the parsing. A broken runbook still stops start-up,
  // and the database is closed again.
  const opening = openMigratedDatabase(config, logger);
  // Its failure is reported once the catalog has loaded (a catalog problem is named first), not as an unhandled rejection.
  opening.catch(() => undefined);
  let catalog: Catalog;
  let notifications: Awaited<ReturnType<typeof loadTemplates>>;
  let postmortemTemplate: Awaited<ReturnType<typeof loadPostmortemTemplate>>;
  try {
    catalog = await loadCatalog(config.commandsDir, opts.env ?? {}, {
      overlayDir: config.commandsOverlayDir,
      runbooksBaseUrl: config.runbooksBaseUrl,
    });
    addLogSecrets(logger, catalogSecrets(catalog));
    notifications = await loadTemplates(config.templatesDir, escapeMrkdwn);
    postmortemTemplate = await loadPostmortemTemplate(config.templatesDir);
  } catch (err) {
    await opening.then(
      (db) => db.close(),
      () => undefined,
    );
    throw err;
  }
  const db = await opening;
  const coordination = config.redisUrl
    ? createRedisCoordination({ url: config.redisUrl })
    : createMemoryCoordination(() => clock.now().getTime());
  const processedEvents = createProcessedEventStore(db);
  const replayGuard = createReplayGuard({
    coordination,
    durable: processedEvents,
    singleProcess: db.kind === 'embedded',
    logger,
  });
  const audit = createAuditStore(db);

  // Alerts and incidents: stores → services.
  const replicaId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const alertStore = createAlertStore(db);
  const incidentStore = createIncidentStore(db);
  const timelineStore = createTimelineStore(db);
  const jobStore = createScheduledJobStore(db);
  const incidentMetrics = createIncidentMetrics(registry, { countOpen: () => incidentStore.countActiveBySeverity() });
  const alertService = createAlertService({ alerts: alertStore, jobs: jobStore, timeline: timelineStore, clock, metrics: incidentMetrics });
  const incidentService = createIncidentService({
    transaction: (fn) => db.transaction(fn),
    incidents: incidentStore,
    timeline: timelineStore,
    alerts: alertStore,
    jobs: jobStore,
    clock,
    metrics: incidentMetrics,
    // Remediations asked for from the alert's diagnosis join the incident's audit log, timeline and post-mortem.
    alertJoined: (alertId, incidentId, actor) => remediationService.linkAlertRequests(alertId, incidentId, actor),
    logger,
  });
  const labelsNeeded = (name: string): string[] => {
    const hit = knownAlert(catalog, name);
    return hit ? labelsOfAlert(hit.runbook, hit.alert) : [];
  };
  /** The emergency contacts of the runbooks covering these alerts, each runbook once. */
  const runbookContactsOf = (alertNames: readonly string[]): RunbookContact[] => {
    const seen = new Set<string>();
    return alertNames.flatMap((name) => {
      const hit = findAlert(catalog, name);
      if (!hit.found || seen.has(hit.runbook.id)) return [];
      seen.add(hit.runbook.id);
      return hit.runbook.contacts;
    });
  };
  const roomStore = createIncidentRoomStore(db);
  const followUpStore = createFollowUpStore(db);
  const incidentRoles = createIncidentRoles({
    transaction: (fn) => db.transaction(fn),
    getIncident: (id) => incidentService.get(id),
    rooms: roomStore,
    timeline: timelineStore,
    clock,
  });
  const followUpService = createFollowUpService({
    transaction: (fn) => db.transaction(fn),
    store: followUpStore,
    timeline: timelineStore,
    getIncident: (id) => incidentService.get(id),
    commanderOf: async (id) => (await incidentRoles.holders(id)).commander,
    clock,
  });
  const reportStore = createReportStore(db);
  const catalogSeverity = (name: string) => knownAlert(catalog, name)?.alert.severity;
  const remediationService = createRemediationService({
    store: createRemediationStore(db),
    audit,
    coordination,
    clock,
    logger,
    resolveTarget: remediationTargets(config, catalog),
    metrics: createRemediationMetrics(registry),
    timeline: timelineStore,
    runnerId: replicaId,
    childProcessEnv: config.childProcessEnv,
    leaseMs: config.remediationLeaseMs,
    approversByRisk: config.roles.approvers,
    requestersByRisk: config.roles.requesters,
  });
  let remediationDeps: RemediationSlackDeps | undefined;
  let alertMessenger: AlertMessenger | undefined;
  let alertIntake: AlertIntake | undefined;
  let stormWatch: StormWatch | undefined;
  let reminderRunner: ReturnType<typeof createReminderRunner> | undefined;
  let followUpDeps: FollowUpSlackDeps | undefined;
  let recoverRoomOpenings: (() => Promise<number>) | undefined;

  let slack: SlackApp | undefined;
  let slackAuth: SlackAuthMonitor | undefined;
  let inbox: InboxProcessor | undefined;
  const inboxStore = createInboxStore(db);
  if (config.slack) {
    const processor = createInboxProcessor({
      store: inboxStore,
      spool: createDeliverySpool({ dir: path.join(config.dataDir, 'inbox-spool'), logger }),
      owner: replicaId,
      handle: (d) => slack!.processDelivery(d.body, { attempts: d.attempts }),
      isTransient: isSlackUnavailable,
      logger,
      onChange: ({ spooled }) => metrics.bufferedDeliveries.set(spooled),
      // One embedded replica finds its own deliveries at once (accept kicks a claim): polling is only for retries.
      pollMs: db.kind === 'embedded' ? 1_000 : 250,
    });
    inbox = processor;
    slack = createSlackApp({
      config: config.slack,
      logger,
      metrics,
      recordEvent: (body) => recordDelivery(processor, toDelivery(body), logger, metrics),
      isFirstSignedRequest: (signature) => replayGuard.isFirst(signature),
    });
    const poster = createSlackPoster({ client: slack.client, postClient: slack.postClient, coordination, logger });
    const membership = createUsergroupMembership({ client: slack.client, logger });
    const diagnoseDeps: DiagnoseDeps = {
      catalog,
      client: slack.client,
      poster,
      logger,
      metrics: createDiagnosisMetrics(registry),
      now: () => clock.now(),
      onDiagnosed: createDiagnosisRecorder({ incidents: incidentService }),
    };
    const channelAccess = createChannelAccess(slack.client);
    const rooms = createIncidentRooms({
      config: config.incidentRooms,
      rooms: roomStore,
      roles: incidentRoles,
      incidents: incidentService,
      timeline: timelineStore,
      client: slack.client,
      poster,
      membership,
      access: channelAccess,
      linksFor: (alertName) => {
        const hit = findAlert(catalog, alertName);
        if (!hit.found) return { dashboards: [] };
        return {
          ...(hit.runbook.link ? { runbook: { title: `Runbook: ${hit.runbook.title}`, url: hit.runbook.link } } : {}),
          dashboards: hit.runbook.dashboards,
        };
      },
      // The on-call (first escalation level) and every level the alert has already been escalated to.
      respondersOf: (alert) =>
        (['L1', 'L2', 'L3'] as const)
          .slice(0, Math.max(1, alert.escalationLevel))
          .flatMap((level) => config.escalationTargets[level] ?? []),
      contactsOf: (alert) => {
        const hit = findAlert(catalog, alert.name);
        return hit.found ? contactsOfArea(hit.runbook.contacts, hit.alert.area) : [];
      },
      owner: replicaId,
      coordination,
      clock,
      logger,
    });
    const visibility = createIncidentVisibility({ rooms, access: channelAccess });
    const roomCommandDeps: IncidentRoomCommandDeps = { rooms, incidents: incidentService, visibility, logger };
    followUpDeps = {
      followUps: followUpService,
      exporter: createFollowUpExporter({
        store: followUpStore,
        getIncident: (id) => incidentService.get(id),
        ...(config.github ? { github: config.github } : {}),
        clock,
      }),
      canExport: Boolean(config.github),
      incidents: incidentService,
      room: roomCommandDeps,
      visibility,
      poster,
      client: slack.client,
      clock,
      logger,
    };
    const drafts = createPostmortemStore(db);
    const incidentDeps: IncidentCommandDeps = {
      incidents: incidentService,
      notifications,
      poster,
      client: slack.client,
      logger,
      severityChannels: config.severityChannels,
      latestPostmortem: (incidentId) => drafts.latest(incidentId),
      contactsOf: async (incidentId) => runbookContactsOf(await alertStore.namesByIncident(incidentId)),
      rooms,
      visibility,
    };
    recoverRoomOpenings = () =>
      rooms.recoverUnopened((incident, room) =>
        resumedOpeningContext(incidentDeps, (channelId, ts) => alertStore.findByMessage(channelId, ts), incident, room),
      );
    alertMessenger = createAlertMessenger({
      alerts: alertService,
      poster,
      replicaId,
      logger,
      labelsNeeded,
      alertmanagerConfigured: Boolean(config.alertmanagerUrl),
      silence: Boolean(config.alertmanagerUrl),
      now: () => clock.now(),
    });
    stormWatch = createStormWatch({
      publisher: createStormMessenger({ poster }),
      coordination,
      logger,
      threshold: config.alertStormThreshold,
    });
    alertIntake = createAlertIntake({
      storm: stormWatch,
      alerts: alertService,
      publisher: alertMessenger,
      diagnoser: createAlertDiagnoser(diagnoseDeps),
      autoDiagnose: (name) => knownAlert(catalog, name)?.alert.autoDiagnose === true,
      catalogSeverity,
      labelsNeeded,
      ...(config.alertmanagerUrl ? { alertmanager: createAlertmanagerAlerts({ url: config.alertmanagerUrl }) } : {}),
      logger,
    });
    remediationDeps = {
      catalog,
      service: remediationService,
      client: slack.client,
      poster,
      logger,
      incidentThread: async (id) => incidentService.get(id).catch(() => undefined),
      incidentOfThread: async (channelId, threadTs) => (await incidentService.concerning({ channelId, threadTs }))?.id,
      currentIncident: async (channelId) => {
        const here = (await incidentService.listActive()).filter((i) => i.channelId === channelId);
        return here.length === 1 ? here[0]!.id : undefined;
      },
      alertOfThread: async (channelId, threadTs) => {
        const alert = await alertStore.findByMessage(channelId, threadTs);
        if (!alert?.channelId || !alert.messageTs) return undefined;
        return {
          alertId: alert.id,
          channelId: alert.channelId,
          threadTs: alert.messageTs,
          ...(alert.incidentId ? { incidentId: alert.incidentId } : {}),
        };
      },
      runbooksOfIncident: async (incidentId) => {
        const names = await alertStore.namesByIncident(incidentId);
        return names.flatMap((name) => {
          const hit = findAlert(catalog, name);
          return hit.found ? [hit.runbook.id] : [];
        });
      },
      membership,
      ...(config.approvalsChannel ? { approvalsChannel: config.approvalsChannel } : {}),
    };
    const postmortemDeps: PostmortemDeps = {
      postmortems: createPostmortemService({
        incidents: incidentService,
        drafts,
        threadReader: createSlackThreadReader({ client: slack.client, logger }),
        alerts: alertStore,
        actionItems: createPostmortemActionItemStore(db),
        followUps: followUpService,
        template: postmortemTemplate,
        escapeMrkdwn,
        clock,
        logger,
      }),
      incidents: incidentService,
      recentIncidentsInChannel: (channelId, limit) => drafts.recentIncidentsInChannel(channelId, limit),
      client: slack.client,
      poster,
      logger,
    };
    registerPostmortem(slack.app, postmortemDeps);
    registerActionItemDecisions(slack.app, postmortemDeps);
    registerIncidentCommand(
      slack.app,
      {
        diagnose: diagnoseCommandHandler(diagnoseDeps),
        runbooks: runbooksCommandHandler(catalog),
        ...incidentCommandHandlers(incidentDeps),
        remediate: remediateCommandHandler(remediationDeps),
        audit: auditCommandHandler(remediationDeps),
        postmortem: postmortemCommandHandler(postmortemDeps),
        'link-alert': linkAlertCommandHandler({
          incidents: incidentService,
          access: channelAccess,
          alerts: alertService,
          refreshAlert: (alert) => alertMessenger!.refresh(alert),
          postInThread: async (channel, threadTs, text) => {
            await poster.post({ channel, ...(threadTs ? { thread_ts: threadTs } : {}), text, unfurl_links: false });
          },
        }),
        ...incidentRoleCommandHandlers(roomCommandDeps),
        ...followUpCommandHandlers(followUpDeps),
        stats: statsCommandHandler({ store: reportStore, clock, access: channelAccess }),
      },
      logger,
      privateIncidentGuard({ incidents: incidentService, visibility }),
    );
    registerDiagnoseActions(slack.app, diagnoseDeps);
    registerRemediationActions(slack.app, remediationDeps);
    registerTakeCommand(slack.app, roomCommandDeps);
    registerFollowUpActions(slack.app, followUpDeps);
    registerStatsChart(slack.app, { store: reportStore, clock, client: slack.client, logger });

    // Alert intake, alert buttons, incident modal, timeline capture, reminders.
    registerAlertIntake(slack.app, { intake: alertIntake, senders: config.alertSenders, logger });
    registerAlertActions(slack.app, {
      alerts: alertService,
      messenger: alertMessenger,
      poster,
      diagnose: diagnoseDeps,
      incidents: incidentDeps,
      clock,
      logger,
      audit,
      remediations: remediationDeps,
      ...(config.alertmanagerUrl ? { alertmanagerUrl: config.alertmanagerUrl } : {}),
    });
    registerIncidentViews(slack.app, incidentDeps);
    registerIncidentResolution(slack.app, incidentDeps);
    registerTimelineCapture(slack.app, { incidents: incidentService, client: slack.client, logger });
    const escalation = escalationConfig(config.escalationTargets);
    const hasContacts = catalog.runbooks.some((r) => r.contacts.some((c) => c.ids.length > 0));
    if (escalation.levels.every((l) => l.targets.length === 0) && !hasContacts) {
      logger.info('no ESCALATION_L1/L2/L3 and no runbook contacts set: nobody is paged by escalation');
    }
    reminderRunner = createReminderRunner({
      jobs: jobStore,
      incidents: incidentStore,
      incidentService,
      alerts: alertStore,
      escalation,
      contactsFor: (names, level) => {
        const levelName = level.name as RunbookContact['level'];
        return names.flatMap((name) => {
          const hit = findAlert(catalog, name);
          return hit.found ? contactsToPage(hit.runbook.contacts, levelName, hit.alert.area) : [];
        });
      },
      callbacks: createReminderCallbacks({ poster, logger, clock, incidents: incidentDeps }),
      clock,
      logger,
      metrics: incidentMetrics,
      workerId: replicaId,
    });
    slackAuth = createSlackAuthMonitor(slack.client, logger);
  }

  const health = createAppHealth(db, slackAuth);

  const eventIntake =
    slack?.requestListener && inbox && config.slack?.signingSecret
      ? createEventIntake({ signingSecret: config.slack.signingSecret, inbox, logger, metrics, next: slack.requestListener })
      : undefined;
  const slackRoute = slackEventsRoute(eventIntake, slack !== undefined);
  const webhookRoute = alertmanagerWebhookRoute({
    ...(alertIntake ? { intake: alertIntake } : {}),
    ...(config.alertRoutes ? { routes: config.alertRoutes } : {}),
    ...(config.alertmanagerWebhookToken ? { token: config.alertmanagerWebhookToken } : {}),
    logger,
  });
  const routes: Route[] = [...healthRoutes(health), metricsRoute(registry), slackRoute, webhookRoute];
  const http = createHttpServer(routes, logger, timeSlackAcks(metrics), opts.server);

  const jobs = createJobRunner(
    backgroundJobs({
      clock,
      logger,
      pruneDeliveryRecords: (before) =>
        Promise.all([processedEvents.pruneOlderThan(before), alertStore.pruneDeliveries(before), inboxStore.pruneDoneBefore(before)]),
      ...(reminderRunner && alertMessenger && remediationDeps
        ? {
            slack: {
              reminders: reminderRunner,
              alerts: alertService,
              messenger: alertMessenger,
              remediations: remediationDeps,
              remediationLeaseMs: config.remediationLeaseMs,
              repairStaleMessages: () => alertIntake!.repairStale(),
              ...(followUpDeps ? { remindOverdueFollowUps: () => remindOverdueFollowUps(followUpDeps!) } : {}),
              ...(recoverRoomOpenings ? { roomRecovery: { leaseMs: config.incidentRooms.leaseMs, run: recoverRoomOpenings } } : {}),
            },
          }
        : {}),
    }),
    logger,
    { claims: jobStore, clock, workerId: replicaId },
  );

  return {
    config,
    logger,
    registry,
    metrics,
    db,
    catalog,
    coordination,
    audit,
    health,
    slack,
    start: async () => {
      const port = await http.listen(config.port, opts.host);
      await slack?.start();
      inbox?.start();
      slackAuth?.start();
      jobs.start();
      health.markStarted();
      logger[opts.embedded ? 'debug' : 'info'](
        { port, database: db.kind, coordination: coordination.kind, slack: slack?.mode ?? 'not configured' },
        'incident-bot started',
      );
      return port;
    },
    stop: async () => {
      health.markStopping();
      slackAuth?.stop();
      await jobs.stop();
      await stormWatch?.stop();
      // Refuse new deliveries first (503: Slack sends them elsewhere), then let running handlers finish
      // and hand the rest back, and only then close what they use.
      const inboxStopping = inbox?.stop(config.shutdownTimeoutMs);
      await http.close(config.shutdownTimeoutMs);
      const inboxResult = await inboxStopping;
      await slack?.stop().catch((err: Error) => logger.warn({ err: { message: err.message } }, 'Socket Mode did not stop cleanly'));
      await coordination.close();
      await db.close();
      if (inboxResult?.unfinished)
        throw new Error(
          `${inboxResult.unfinished} event handlers did not finish within SHUTDOWN_TIMEOUT_MS; their deliveries were handed back`,
        );
      logger.info('incident-bot stopped');
    },
  };
}

async function openMigratedDatabase(config: Config, logger: Logger): Promise<Database> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
  try {
    await migrate(db, logger);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return db;
}

/** A remediation's target: its runbook's, or for the alert buttons' silence, ALERTMANAGER_URL. */
function remediationTargets(config: Config, catalog: Catalog): RemediationServiceDeps['resolveTarget'] {
  return ({ runbookId, target }) =>
    runbookId === undefined && target === ALERT_SILENCE_TARGET
      ? {
          name: target,
          kind: 'alertmanager',
          values: config.alertmanagerUrl ? { url: config.alertmanagerUrl } : {},
          missing: config.alertmanagerUrl ? [] : ['ALERTMANAGER_URL'],
        }
      : catalog.runbooks.find((r) => r.id === runbookId)?.targets[target];
}

function createAppHealth(db: Database, slackAuth: SlackAuthMonitor | undefined): Health {
  return createHealth({
    database: async () => {
      try {
        await db.ping();
        return { ok: true };
      } catch (err) {
        return {
          ok: false,
          reason: `${db.kind === 'embedded' ? 'embedded database' : 'PostgreSQL'} not answering: ${(err as Error).message}`,
        };
      }
    },
    slack: async () =>
      slackAuth
        ? slackAuth.state()
        : {
            ok: false,
            reason: 'Slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket Mode)',
          },
  });
}

/** POST /slack/events: the Events API intake, or a 503 saying why this bot takes no events over HTTP. */
function slackEventsRoute(eventIntake: ((req: IncomingMessage, res: ServerResponse) => void) | undefined, slackConfigured: boolean): Route {
  return {
    method: 'POST',
    path: '/slack/events',
    handler: (req, res) => {
      if (eventIntake) eventIntake(req, res);
      else
        sendJson(res, 503, {
          error: slackConfigured ? 'this bot runs in Socket Mode; Slack does not post here' : 'Slack is not configured',
        });
    },
  };
}

/** Times each Slack request from arrival to the answer, by kind (command, click, event…). */
function timeSlackAcks(metrics: BotMetrics): (req: IncomingMessage, res: ServerResponse) => void {
  // One listener for every response (it finds its request's receipt through res.req): no closure per request.
  function observeAck(this: ServerResponse): void {
    const receipt = receiptOf(this.req);
    if (receipt?.receivedAt !== undefined)
      metrics.ackSeconds.observe({ kind: receipt.kind ?? 'other' }, (performance.now() - receipt.receivedAt) / 1000);
  }
  return (req, res) => {
    if (!req.url?.startsWith('/slack/')) return;
    attachReceipt(req);
    res.on('finish', observeAck);
  };
}

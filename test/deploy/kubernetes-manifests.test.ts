import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Service } from 'kubernetes-models/v1/Service';
import { Registry } from 'prom-client';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config';
import { createHealth } from '../../src/http/health';
import { healthRoutes, metricsRoute } from '../../src/http/routes';

// No cluster here: the manifests are validated against the Kubernetes API's OpenAPI schemas (kubernetes-models: types,
// required fields, formats; the schemas allow unknown fields, so a misspelt optional field is not caught) and held
// against the bot's own contracts (its config schema, its health routes, the image's heap cap and shutdown deadline).
const ROOT = path.resolve(__dirname, '../..');
const BASE = path.join(ROOT, 'deploy/kubernetes/base');
const OVERLAY = path.join(ROOT, 'deploy/kubernetes/overlays/example');

/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are arbitrary YAML, checked field by field */
type Obj = Record<string, any>;

function load(file: string): Obj[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  for (const d of docs) expect(d.errors).toEqual([]);
  return docs.map((d) => d.toJS() as Obj);
}

// No kustomize binary here: this renders the subset of kustomize the manifests use, and refuses any other field so
// that a manifest using more fails here instead of rendering differently from `kubectl apply -k`.
const KNOWN_FIELDS = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'images', 'labels']);
function render(dir: string): Obj[] {
  const k = load(path.join(dir, 'kustomization.yaml'))[0]!;
  expect(Object.keys(k).filter((f) => !KNOWN_FIELDS.has(f))).toEqual([]);
  let objs = (k.resources as string[]).flatMap((r) => (r.endsWith('.yaml') ? load(path.join(dir, r)) : render(path.join(dir, r))));
  for (const { pairs } of (k.labels ?? []) as Obj[])
    objs = objs.map((o) => ({ ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, ...pairs } } }));
  if (k.namespace) objs = objs.map((o) => ({ ...o, metadata: { ...o.metadata, namespace: k.namespace } }));
  for (const image of (k.images ?? []) as Obj[]) {
    for (const o of objs.filter((x) => x.kind === 'Deployment')) {
      for (const c of o.spec.template.spec.containers as Obj[]) {
        const [name, tag] = String(c.image).split(':');
        if (name === image.name || name === image.newName) c.image = `${image.newName ?? name}:${image.newTag ?? tag ?? 'latest'}`;
      }
    }
  }
  return objs;
}

const objects = render(BASE);
const overlayObjects = render(OVERLAY);
const byKind = (kind: string): Obj => {
  const found = objects.filter((o) => o.kind === kind);
  expect(found).toHaveLength(1);
  return found[0]!;
};
const deployment = byKind('Deployment');
const pod = deployment.spec.template.spec as Obj;
const container = pod.containers[0] as Obj;
const env = container.env as Obj[];

/** The pod's environment as the bot would see it, with syntactically valid stand-ins for Secret values. */
function podEnvironment(): Record<string, string> {
  const standIns: Record<string, string> = {
    'slack-bot-token': 'xoxb-from-the-secret',
    'slack-signing-secret': 'from-the-secret',
    'database-url': 'postgres://bot@db/incidents',
    'redis-url': 'redis://redis:6379',
    'alertmanager-webhook-token': 'a-webhook-token-from-the-secret',
  };
  return Object.fromEntries(
    env.map((e) => {
      if (e.value !== undefined) return [e.name, String(e.value)];
      const key = e.valueFrom.secretKeyRef.key as string;
      expect(standIns).toHaveProperty([key]);
      return [e.name, standIns[key]!];
    }),
  );
}

describe('deploy/kubernetes', () => {
  const models: Record<string, new (o: any) => { validate(): void }> = {
    Deployment,
    Service,
    PodDisruptionBudget,
    NetworkPolicy,
    ServiceMonitor,
  };

  it('parses, and every object is valid for the Kubernetes API: Deployment, Service, PodDisruptionBudget, NetworkPolicy', () => {
    expect(objects.map((o) => `${o.apiVersion} ${o.kind}`).sort()).toEqual([
      'apps/v1 Deployment',
      'networking.k8s.io/v1 NetworkPolicy',
      'policy/v1 PodDisruptionBudget',
      'v1 Service',
    ]);
    for (const o of objects) {
      expect(o.metadata.name).toBe('incident-bot');
      expect(() => new models[o.kind]!(o).validate()).not.toThrow();
    }
    // The validation has teeth: a wrong type is refused.
    const broken = structuredClone(deployment);
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'three thousand';
    expect(() => new models.Deployment!(broken).validate()).toThrow(/containerPort/);
  });

  it('runs 3 replicas with PostgreSQL and Redis required from the Secret (the embedded defaults are one replica only)', () => {
    expect(deployment.spec.replicas).toBe(3);
    const config = loadConfig(podEnvironment());
    expect(config.slack?.mode).toBe('http');
    expect(config.databaseUrl).toBeDefined();
    expect(config.redisUrl).toBeDefined();
    for (const name of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'DATABASE_URL', 'REDIS_URL']) {
      const ref = env.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
      expect({ name, secret: ref?.name, optional: ref?.optional ?? false }).toEqual({ name, secret: 'incident-bot', optional: false });
    }
  });

  it('carries no credential as a literal value', () => {
    const literal = env.filter((e) => e.value !== undefined).map((e) => e.name as string);
    expect(literal.filter((n) => /TOKEN|SECRET|PASSWORD|DATABASE_URL|REDIS_URL/.test(n))).toEqual([]);
    expect(container.envFrom).toEqual([{ secretRef: { name: 'incident-bot-targets', optional: true } }]);
  });

  it('probes the paths the bot serves, on the port it listens on', () => {
    const served = healthRoutes(createHealth({})).map((r) => r.path);
    const config = loadConfig(podEnvironment());
    const http = container.ports.find((p: Obj) => p.name === 'http');
    expect(http.containerPort).toBe(config.port);
    const probes = { startupProbe: '/health/startup', livenessProbe: '/health/live', readinessProbe: '/health/ready' };
    for (const [probe, route] of Object.entries(probes)) {
      expect(served).toContain(route);
      expect(container[probe].httpGet).toEqual({ path: route, port: 'http' });
    }
  });

  it('gives the bot longer to stop than its own shutdown deadline', () => {
    const { shutdownTimeoutMs } = loadConfig(podEnvironment());
    // main.ts exits at the latest SHUTDOWN_TIMEOUT_MS + 5 s after SIGTERM.
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(shutdownTimeoutMs + 5_000);
  });

  it('sizes memory above the heap cap the image sets, with the resident size the benchmarks measure (under 200 MB)', () => {
    const heapMb = Number(/--max-old-space-size=(\d+)/.exec(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))?.[1]);
    expect(heapMb).toBe(128);
    const mi = (q: string) => Number(/^(\d+)Mi$/.exec(q)?.[1]);
    expect(mi(container.resources.requests.memory)).toBeGreaterThan(heapMb);
    expect(mi(container.resources.limits.memory)).toBeGreaterThanOrEqual(200 * 1.2);
  });

  it('mounts the catalog and templates from ConfigMaps where COMMANDS_DIR and TEMPLATES_DIR point', () => {
    const config = loadConfig(podEnvironment());
    const volumeOf = (mountPath: string) => {
      const mount = container.volumeMounts.find((m: Obj) => m.mountPath === mountPath);
      expect(mount).toMatchObject({ readOnly: true });
      return pod.volumes.find((v: Obj) => v.name === mount.name);
    };
    expect(volumeOf(config.commandsDir)).toEqual({ name: 'commands', configMap: { name: 'incident-bot-commands' } });
    expect(volumeOf(config.templatesDir)).toEqual({ name: 'templates', configMap: { name: 'incident-bot-templates' } });
  });

  it('runs unprivileged, with the Service and the disruption budget selecting the pods', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    const labels = deployment.spec.template.metadata.labels;
    expect(byKind('Service').spec.selector).toEqual(labels);
    expect(byKind('Service').spec.ports[0].targetPort).toBe('http');
    expect(byKind('PodDisruptionBudget').spec.selector.matchLabels).toEqual(labels);
    expect(deployment.spec.selector.matchLabels).toEqual(labels);
  });

  it('lets in only the HTTP port and lets out only DNS, HTTPS (Slack), PostgreSQL and Redis', () => {
    const policy = byKind('NetworkPolicy');
    expect(policy.spec.podSelector.matchLabels).toEqual(deployment.spec.template.metadata.labels);
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }] }]);
    const egress = (policy.spec.egress as Obj[]).flatMap((rule) => (rule.ports as Obj[]).map((p) => `${p.protocol}/${p.port}`));
    expect(egress.sort()).toEqual(['TCP/443', 'TCP/53', 'TCP/5432', 'TCP/6379', 'UDP/53']);
    const { databaseUrl, redisUrl } = loadConfig(podEnvironment());
    expect(new URL(databaseUrl!).port || '5432').toBe('5432');
    expect(new URL(redisUrl!).port || '6379').toBe('6379');
  });
});

describe('deploy/kubernetes/overlays/example', () => {
  const models: Record<string, new (o: any) => { validate(): void }> = {
    Deployment,
    Service,
    PodDisruptionBudget,
    NetworkPolicy,
    ServiceMonitor,
  };

  it('renders the base into its namespace with its image, plus a ServiceMonitor and a targets policy, all valid', () => {
    expect(overlayObjects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'Deployment/incident-bot',
      'NetworkPolicy/incident-bot',
      'NetworkPolicy/incident-bot-targets',
      'PodDisruptionBudget/incident-bot',
      'Service/incident-bot',
      'ServiceMonitor/incident-bot',
    ]);
    for (const o of overlayObjects) {
      expect(o.metadata.namespace).toBe('incidents');
      expect(() => new models[o.kind]!(o).validate()).not.toThrow();
    }
    const container = overlayObjects.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0];
    expect(container.image).toBe('registry.invalid/incident-bot:0.1.0');
    // The validation has teeth for the custom resource too.
    const monitor = structuredClone(overlayObjects.find((o) => o.kind === 'ServiceMonitor')!);
    monitor.spec.endpoints = 'http';
    expect(() => new models.ServiceMonitor!(monitor).validate()).toThrow(/endpoints/);
  });

  it('scrapes /metrics, which the bot serves, through the Service port name, from the pods the Service selects', () => {
    const monitor = overlayObjects.find((o) => o.kind === 'ServiceMonitor')!;
    const service = overlayObjects.find((o) => o.kind === 'Service')!;
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels as Obj);
    expect(service.spec.ports.map((p: Obj) => p.name)).toContain(monitor.spec.endpoints[0].port);
    expect(monitor.spec.endpoints[0].path).toBe(metricsRoute(new Registry()).path);
  });

  it("opens egress to the targets for the bot's pods only, on the ports the targets listen on", () => {
    const policy = overlayObjects.find((o) => o.metadata.name === 'incident-bot-targets')!;
    expect(policy.spec.podSelector.matchLabels).toEqual(deployment.spec.template.metadata.labels);
    expect(policy.spec.policyTypes).toEqual(['Egress']);
    expect(policy.spec.ingress).toBeUndefined();
    const ports = (policy.spec.egress as Obj[]).flatMap((rule) => (rule.ports as Obj[]).map((p) => p.port as number));
    // Prometheus, Alertmanager and a TLS Docker engine: the catalog's PROMETHEUS_URL / ALERTMANAGER_URL / DOCKER_HOST.
    expect(ports.sort()).toEqual([2376, 9090, 9093]);
  });
});

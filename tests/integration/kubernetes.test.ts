/**
 * deploy/kubernetes: each variant rendered by `kubectl kustomize`, every object
 * validated offline against the Kubernetes API schemas (npm kubernetes-models,
 * through scripts/validateKubernetes.mjs: an ES module), and the project's rules
 * asserted on what an operator would apply. No cluster is needed.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../sidecar/src/config';
import { LIVE_PATH, PROBE_PATHS, READY_PATH } from '../../sidecar/src/ops';
import { hardStopAfterMs } from '../../sidecar/src/shutdown';
import { SIDECAR_NODE_FLAGS } from '../helpers/process';

const ROOT = path.resolve(__dirname, '..', '..');
const KUSTOMIZE_ROOT = path.join(ROOT, 'deploy/kubernetes');

/** The variables whose values are secrets: only ever a reference to a Secret. */
const SECRET_VARS = ['ODOO_API_KEY', 'OPS_TOKEN', 'OUTBOX_URL', 'TIKTOK_ACCESS_TOKEN'];
/** What the operator's Secret holds, in the shape the sidecar checks. */
const SECRET_PLACEHOLDERS: Record<string, string> = { OUTBOX_URL: 'postgres://outbox:placeholder@outbox-db:5432/outbox' };

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; fieldRef?: { fieldPath: string } };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
  periodSeconds?: number;
  failureThreshold?: number;
}
interface Container {
  name: string;
  image: string;
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: EnvVar[];
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: {
    containers: Container[];
    terminationGracePeriodSeconds?: number;
    automountServiceAccountToken?: boolean;
    securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  };
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}
interface Workload extends K8sObject {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: PodTemplate;
    serviceName?: string;
    volumeClaimTemplates?: Array<{ metadata: { name: string } }>;
  };
}

function kubectlAvailable(): boolean {
  const probe = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  return !probe.error && probe.status === 0;
}

function render(variant: string): K8sObject[] {
  const result = spawnSync('kubectl', ['kustomize', path.join(KUSTOMIZE_ROOT, 'overlays', variant)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`kubectl kustomize ${variant} failed:\n${result.stderr}`);
  return parseAllDocuments(result.stdout).map((doc) => doc.toJS() as K8sObject);
}

/** Problems kubernetes-models finds, one per object that does not validate. */
function schemaProblems(objects: K8sObject[]): Array<{ kind: string; name: string; error: string }> {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts/validateKubernetes.mjs')], { input: JSON.stringify(objects), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`scripts/validateKubernetes.mjs failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as Array<{ kind: string; name: string; error: string }>;
}

const one = <T extends K8sObject>(objects: K8sObject[], kind: string, pick: (o: K8sObject) => boolean = () => true): T => {
  const found = objects.filter((o) => o.kind === kind && pick(o));
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0] as T;
};

const matches = (selector: Record<string, string>, labels: Record<string, string> | undefined) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** Mebibytes of a Kubernetes memory quantity (Mi, Gi, M, G, plain bytes). */
function mebibytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G)?$/.exec(quantity);
  if (!match) throw new Error(`not a memory quantity: ${quantity}`);
  const factor: Record<string, number> = { '': 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, k: 1e3, M: 1e6, G: 1e9 };
  return (Number(match[1]) * factor[match[2] ?? '']) / 2 ** 20;
}

/** The settings a pod starts with: the ConfigMap, then the literal env (secrets stand in as valid placeholders). */
function podSettings(objects: K8sObject[], container: Container): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const map = one(objects, 'ConfigMap', (o) => o.metadata.name === source.configMapRef?.name);
    Object.assign(settings, map.data);
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) settings[variable.name] = variable.value;
    else if (variable.valueFrom?.secretKeyRef && !variable.valueFrom.secretKeyRef.optional) settings[variable.name] = SECRET_PLACEHOLDERS[variable.name] ?? 'p'.repeat(40);
    else if (variable.valueFrom?.fieldRef?.fieldPath === 'metadata.name') settings[variable.name] = 'tiktok-sidecar-7c9f8d7b5-x2kqz';
  }
  return settings;
}

const VARIANTS = [
  { variant: 'postgres', workloadKind: 'Deployment' },
  { variant: 'sqlite', workloadKind: 'StatefulSet' },
] as const;

const hasKubectl = kubectlAvailable();
if (!hasKubectl) console.warn('kubectl not found: skipping the deploy/kubernetes checks (install kubectl, v1.32 or later with kustomize).');
const describeKubectl = hasKubectl ? describe : describe.skip;

describeKubectl.each(VARIANTS)('deploy/kubernetes/overlays/$variant (kubectl kustomize)', ({ variant, workloadKind }) => {
  let objects: K8sObject[];
  let workload: Workload;
  let sidecar: Container;

  beforeAll(() => {
    objects = render(variant);
    workload = one<Workload>(objects, workloadKind);
    sidecar = workload.spec.template.spec.containers.find((c) => c.name === 'sidecar')!;
  });

  it('renders objects that all validate against the Kubernetes schemas', () => {
    expect(objects.length).toBeGreaterThan(3);
    expect(schemaProblems(objects)).toEqual([]);
  });

  it('carries no secret: no Secret object, every secret variable by reference, no credentials in a URL', () => {
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    for (const map of objects.filter((o) => o.kind === 'ConfigMap')) {
      expect([map.metadata.name, Object.keys(map.data ?? {}).filter((k) => SECRET_VARS.includes(k))]).toEqual([map.metadata.name, []]);
    }
    for (const variable of sidecar.env ?? []) {
      if (SECRET_VARS.includes(variable.name)) expect([variable.name, variable.value, variable.valueFrom?.secretKeyRef?.name]).toEqual([variable.name, undefined, 'tiktok-sidecar']);
    }
    expect(JSON.stringify(objects)).not.toMatch(/[a-z]+:\/\/[^/\s"@]*:[^/\s"@]*@/);
  });

  it('probes the paths the sidecar serves: readiness /readyz, liveness /livez, on the relay port', () => {
    expect(sidecar.readinessProbe?.httpGet?.path).toBe(READY_PATH);
    expect(sidecar.livenessProbe?.httpGet?.path).toBe(LIVE_PATH);
    expect(PROBE_PATHS).toContain(sidecar.startupProbe?.httpGet?.path);
    const relayPort = Number(podSettings(objects, sidecar).RELAY_PORT);
    for (const probe of [sidecar.readinessProbe, sidecar.livenessProbe, sidecar.startupProbe]) {
      const port = sidecar.ports?.find((p) => p.name === probe?.httpGet?.port || p.containerPort === probe?.httpGet?.port);
      expect(port?.containerPort).toBe(relayPort);
    }
  });

  it('starts with settings the sidecar accepts, and names each replica after its pod', () => {
    const settings = podSettings(objects, sidecar);
    expect(() => loadConfig(settings)).not.toThrow();
    expect(sidecar.env?.find((v) => v.name === 'SIDECAR_REPLICA_ID')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
  });

  it('sets requests and limits, with memory above the V8 heap the image caps', () => {
    const { requests, limits } = sidecar.resources ?? {};
    for (const resource of ['cpu', 'memory']) {
      expect([resource, requests?.[resource]]).toEqual([resource, expect.any(String)]);
      expect([resource, limits?.[resource]]).toEqual([resource, expect.any(String)]);
    }
    const heapMb = Number(/--max-old-space-size=(\d+)/.exec(SIDECAR_NODE_FLAGS.join(' '))?.[1]);
    expect(mebibytes(limits!.memory)).toBeGreaterThan(heapMb + 64);
    expect(mebibytes(requests!.memory)).toBeLessThanOrEqual(mebibytes(limits!.memory));
  });

  it('runs unprivileged: non-root by number, read-only root, no capabilities, RuntimeDefault seccomp, no API token', () => {
    const pod = workload.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(sidecar.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  });

  it('gives the shutdown more time than its preStop wait and its own hard stop', () => {
    const settings = loadConfig(podSettings(objects, sidecar));
    const preStop = sidecar.lifecycle?.preStop;
    const preStopSeconds = preStop?.sleep?.seconds ?? Number(preStop?.exec?.command.join(' ').match(/^sleep (\d+)$/)?.[1] ?? 0);
    expect(workload.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds + hardStopAfterMs(settings) / 1000);
  });

  it('ties the disruption budget and the relay Service to the pods', () => {
    const labels = workload.spec.template.metadata?.labels;
    expect(matches(workload.spec.selector.matchLabels, labels)).toBe(true);
    const pdb = one<K8sObject & { spec: { selector: { matchLabels: Record<string, string> }; maxUnavailable?: number } }>(objects, 'PodDisruptionBudget');
    expect(pdb.spec.selector.matchLabels).toEqual(workload.spec.selector.matchLabels);
    expect(pdb.spec.maxUnavailable).toBe(1);
    const relay = one<K8sObject & { spec: { selector: Record<string, string>; clusterIP?: string } }>(objects, 'Service', (o) => o.metadata.name === 'tiktok-sidecar');
    expect(matches(relay.spec.selector, labels)).toBe(true);
    expect(relay.spec.clusterIP).toBeUndefined();
  });
});

describeKubectl('deploy/kubernetes/overlays/postgres: a Deployment on the shared outbox', () => {
  const objects = hasKubectl ? render('postgres') : [];

  it('runs three replicas reading OUTBOX_URL from the Secret, with no outbox file or volume', () => {
    const deployment = one<Workload>(objects, 'Deployment');
    expect(deployment.spec.replicas).toBe(3);
    const env = deployment.spec.template.spec.containers[0].env ?? [];
    expect(env.find((v) => v.name === 'OUTBOX_URL')?.valueFrom?.secretKeyRef).toEqual({ name: 'tiktok-sidecar', key: 'OUTBOX_URL' });
    expect(env.find((v) => v.name === 'OUTBOX_PATH')?.value).toBe('');
    expect(objects.filter((o) => o.kind === 'PersistentVolumeClaim' || o.kind === 'StatefulSet')).toEqual([]);
  });

  it('scales the Deployment on CPU, from at least its replicas', () => {
    const deployment = one<Workload>(objects, 'Deployment');
    const hpa = one<
      K8sObject & {
        spec: { scaleTargetRef: { apiVersion: string; kind: string; name: string }; minReplicas: number; maxReplicas: number; metrics: Array<{ resource?: { name: string } }> };
      }
    >(objects, 'HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: deployment.apiVersion, kind: 'Deployment', name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBe(deployment.spec.replicas);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    expect(hpa.spec.metrics.map((m) => m.resource?.name)).toEqual(['cpu']);
  });
});

describeKubectl('deploy/kubernetes/overlays/sqlite: a StatefulSet, an outbox volume per replica', () => {
  const objects = hasKubectl ? render('sqlite') : [];

  it('mounts a volume of its own per pod where OUTBOX_PATH points, and uses no shared outbox', () => {
    const statefulSet = one<Workload>(objects, 'StatefulSet');
    const container = statefulSet.spec.template.spec.containers[0];
    const outboxPath = container.env?.find((v) => v.name === 'OUTBOX_PATH')?.value ?? '';
    const claim = statefulSet.spec.volumeClaimTemplates?.[0]?.metadata.name;
    expect(container.volumeMounts).toContainEqual({ name: claim, mountPath: path.posix.dirname(outboxPath) });
    expect(container.env?.some((v) => v.name === 'OUTBOX_URL')).toBe(false);
    expect(objects.filter((o) => o.kind === 'HorizontalPodAutoscaler' || o.kind === 'Deployment')).toEqual([]);
  });

  it('is governed by a headless Service that selects its pods', () => {
    const statefulSet = one<Workload>(objects, 'StatefulSet');
    const headless = one<K8sObject & { spec: { clusterIP: string; selector: Record<string, string> } }>(objects, 'Service', (o) => o.metadata.name === statefulSet.spec.serviceName);
    expect(headless.spec.clusterIP).toBe('None');
    expect(matches(headless.spec.selector, statefulSet.spec.template.metadata?.labels)).toBe(true);
  });
});

// Checks rendered Kubernetes manifests (a YAML stream, e.g. `kubectl kustomize deploy/k8s`) offline:
//   1. each object against the Kubernetes API schema (kubernetes-models: types, required fields,
//      formats), for its apiVersion and kind;
//   2. no unknown fields anywhere (the field lists of the official JavaScript client's models), since
//      the schema above lets a misspelt field through and the API server would drop it silently;
//   3. references inside the set: selectors match pod labels, Services and probes name ports that
//      exist, mounts name volumes, ConfigMaps/PVCs/ServiceAccounts/Roles exist, pods satisfy the
//      `restricted` Pod Security Standard that namespace.yaml enforces.
// Usage: node validate.mjs FILE.yaml...    (exit status 1 when anything is wrong)
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import * as clientModels from "@kubernetes/client-node/dist/gen/models/all.js";

const errors = [];
const fail = (where, message) => errors.push(`${where}: ${message}`);

const objects = [];
for (const file of process.argv.slice(2)) {
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (doc.errors.length) {
      fail(file, `YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
      continue;
    }
    const value = doc.toJS();
    if (value !== null) objects.push({ file, value });
  }
}
if (objects.length === 0) {
  console.error("validate: no objects (usage: node validate.mjs FILE.yaml...)");
  process.exit(2);
}

const name = (o) => `${o.kind}/${o.metadata?.name ?? "?"}`;

// 1. Schema.
for (const { file, value } of objects) {
  const { apiVersion, kind } = value;
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    fail(file, "an object without apiVersion or kind");
    continue;
  }
  let Model;
  try {
    Model = (await import(`kubernetes-models/${apiVersion}/${kind}`))[kind];
  } catch {
    fail(name(value), `unknown apiVersion/kind ${apiVersion} ${kind}`);
    continue;
  }
  try {
    new Model(value).validate();
  } catch (e) {
    fail(name(value), `schema: ${e.message}`);
  }
}

// 2. Unknown fields.
const classFor = (apiVersion, kind) => {
  const version = apiVersion.split("/").pop();
  const group = apiVersion.includes("/") ? apiVersion.split("/")[0].split(".")[0] : "Core";
  const ver = version[0].toUpperCase() + version.slice(1);
  const cap = group[0].toUpperCase() + group.slice(1);
  return clientModels[`${ver}${kind}`] ?? clientModels[`${cap}${ver}${kind}`];
};
const SCALARS = new Set(["string", "number", "boolean", "Date", "any", "object", "IntOrString", "V1MicroTime"]);
function walk(value, type, path, where) {
  if (value === null || value === undefined || SCALARS.has(type)) return;
  let m = /^Array<(.+)>$/.exec(type);
  if (m) {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, m[1], `${path}[${i}]`, where));
    return;
  }
  m = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (m) {
    if (typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, m[1], `${path}.${k}`, where);
    return;
  }
  const model = clientModels[type];
  if (!model?.getAttributeTypeMap || typeof value !== "object" || Array.isArray(value)) return;
  const fields = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    if (!fields.has(k)) {
      const near = [...fields.keys()].filter((f) => f.toLowerCase() === k.toLowerCase());
      fail(where, `unknown field ${path ? path + "." : ""}${k}${near.length ? ` (did you mean ${near[0]}?)` : ""}`);
    } else {
      walk(v, fields.get(k), path ? `${path}.${k}` : k, where);
    }
  }
}
for (const { value } of objects) {
  if (!value.apiVersion || !value.kind) continue;
  const model = classFor(value.apiVersion, value.kind);
  if (!model) {
    fail(name(value), `no field list for ${value.apiVersion} ${value.kind}`);
    continue;
  }
  walk(value, model.name, "", name(value));
}

// 3. References.
const byKind = (kind) => objects.map((o) => o.value).filter((v) => v.kind === kind);
const names = (kind) => new Set(byKind(kind).map((v) => v.metadata?.name));
const workloads = ["Deployment", "StatefulSet", "DaemonSet", "Job"].flatMap(byKind);
const podsOf = workloads.map((w) => ({ owner: name(w), labels: w.spec?.template?.metadata?.labels ?? {}, spec: w.spec?.template?.spec ?? {} }));
const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
const containersOf = (spec) => [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
const configMaps = names("ConfigMap");
const pvcs = names("PersistentVolumeClaim");
const serviceAccounts = names("ServiceAccount");
const externalSecrets = new Set();

for (const w of workloads) {
  const sel = w.spec?.selector?.matchLabels;
  if (!sel || !matches(sel, w.spec?.template?.metadata?.labels ?? {})) {
    fail(name(w), "spec.selector.matchLabels does not match the pod template's labels");
  }
  if (w.kind === "StatefulSet" && !names("Service").has(w.spec?.serviceName)) {
    fail(name(w), `serviceName ${w.spec?.serviceName} is not a Service here`);
  }
}
for (const { owner, spec } of podsOf) {
  const sa = spec.serviceAccountName;
  if (sa && !serviceAccounts.has(sa)) fail(owner, `service account ${sa} is not defined here`);
  const volumes = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
  for (const v of volumes.values()) {
    if (v.configMap && !configMaps.has(v.configMap.name)) fail(owner, `volume ${v.name}: ConfigMap ${v.configMap.name} is not defined here`);
    if (v.persistentVolumeClaim && !pvcs.has(v.persistentVolumeClaim.claimName)) fail(owner, `volume ${v.name}: PVC ${v.persistentVolumeClaim.claimName} is not defined here`);
    if (v.secret) externalSecrets.add(v.secret.secretName);
  }
  // restricted Pod Security Standard (the checks that matter for these pods)
  const podSc = spec.securityContext ?? {};
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) fail(owner, "host namespaces are not allowed (restricted)");
  for (const c of containersOf(spec)) {
    const where = `${owner} container ${c.name}`;
    const sc = c.securityContext ?? {};
    const ports = new Set((c.ports ?? []).map((p) => p.name).filter(Boolean));
    for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) fail(where, `volumeMount ${m.name} has no volume`);
    for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
      const port = c[probe]?.httpGet?.port ?? c[probe]?.tcpSocket?.port;
      if (typeof port === "string" && !ports.has(port)) fail(where, `${probe} names port ${port}, which the container does not have`);
    }
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
      if (e.valueFrom?.secretKeyRef) externalSecrets.add(ref.name);
      if (e.valueFrom?.configMapKeyRef && !configMaps.has(ref.name)) fail(where, `env ${e.name}: ConfigMap ${ref.name} is not defined here`);
    }
    if (!(sc.runAsNonRoot ?? podSc.runAsNonRoot)) fail(where, "runAsNonRoot must be true (restricted)");
    if (sc.allowPrivilegeEscalation !== false) fail(where, "allowPrivilegeEscalation must be false (restricted)");
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) fail(where, "capabilities.drop must include ALL (restricted)");
    const seccomp = (sc.seccompProfile ?? podSc.seccompProfile)?.type;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") fail(where, "seccompProfile must be RuntimeDefault or Localhost (restricted)");
    if (sc.privileged) fail(where, "privileged is not allowed (restricted)");
  }
}
for (const s of byKind("Service")) {
  const pods = podsOf.filter((p) => s.spec?.selector && matches(s.spec.selector, p.labels));
  if (s.spec?.selector && pods.length === 0) fail(name(s), "its selector matches no pod template");
  for (const port of s.spec?.ports ?? []) {
    if (typeof port.targetPort !== "string") continue;
    for (const p of pods) {
      const has = containersOf(p.spec).some((c) => (c.ports ?? []).some((cp) => cp.name === port.targetPort));
      if (!has) fail(name(s), `targetPort ${port.targetPort} is not a named port of ${p.owner}`);
    }
  }
}
for (const np of byKind("NetworkPolicy")) {
  const pods = podsOf.filter((p) => matches(np.spec?.podSelector?.matchLabels, p.labels));
  if (pods.length === 0) fail(name(np), "its podSelector matches no pod template");
  const open = new Set(pods.flatMap((p) => containersOf(p.spec).flatMap((c) => (c.ports ?? []).map((cp) => cp.containerPort))));
  for (const rule of np.spec?.ingress ?? []) {
    for (const port of rule.ports ?? []) if (typeof port.port === "number" && !open.has(port.port)) fail(name(np), `port ${port.port} is no container port of the pods it selects`);
  }
}
const roles = names("Role");
for (const rb of byKind("RoleBinding")) {
  if (rb.roleRef?.kind === "Role" && !roles.has(rb.roleRef.name)) fail(name(rb), `Role ${rb.roleRef.name} is not defined here`);
  for (const s of rb.subjects ?? []) if (s.kind === "ServiceAccount" && !serviceAccounts.has(s.name)) fail(name(rb), `ServiceAccount ${s.name} is not defined here`);
}

const summary = Object.entries(objects.reduce((acc, { value }) => ({ ...acc, [value.kind]: (acc[value.kind] ?? 0) + 1 }), {}))
  .map(([k, n]) => `${n} ${k}`).join(", ");
if (errors.length) {
  for (const e of errors) console.error(`invalid: ${e}`);
  console.error(`validate: ${errors.length} problem(s) in ${objects.length} objects (${summary})`);
  process.exit(1);
}
console.log(`validate: ${objects.length} objects valid (${summary})` +
  (externalSecrets.size ? `; secrets to create first: ${[...externalSecrets].sort().join(", ")}` : ""));

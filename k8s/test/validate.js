#!/usr/bin/env node
'use strict';
// Checks rendered Kubernetes manifests (multi-document YAML, as `kubectl kustomize` prints them):
//  1. every object against its schema: Kubernetes' own and KEDA's and the Prometheus Operator's
//     from the pinned kubernetes-models packages; Strimzi's and Infinispan's from crd-schemas.js;
//     an apiVersion/kind no schema knows is an error;
//  2. Portcullis' deployment rules (rules below): what a schema cannot see, e.g. a Service whose
//     selector matches no pod, a probe on a port the container does not have, a missing
//     ConfigMap, a grace period shorter than the edge's drain.
// Usage: node validate.js [--external-secret NAME]... FILE...
// Exit 0 when every object passes; 1 with one line per problem ("FILE: Kind/name: problem").
const fs = require('fs');
const path = require('path');
const yaml = require('js-yaml');
const { validateCustom } = require('./crd-schemas');

const PACKAGES = {
  'keda.sh': '@kubernetes-models/keda',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

function modelFor(apiVersion, kind) {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const pkg = PACKAGES[group] || 'kubernetes-models';
  if (!/^[A-Za-z0-9.]+(\/[A-Za-z0-9]+)?$/.test(apiVersion) || !/^[A-Za-z0-9]+$/.test(kind)) return null;
  try {
    const mod = require(`${pkg}/${apiVersion}/${kind}`);
    return mod[kind] || null;
  } catch (e) {
    if (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return null;
    throw e;
  }
}

function schemaErrors(obj) {
  const custom = validateCustom(obj);
  if (custom) return custom;
  if (obj.apiVersion === 'v1' && obj.kind === 'Secret' && obj.data) {
    // kustomize folds long base64 values over lines; the API server's decoder skips the newlines.
    obj = { ...obj, data: Object.fromEntries(Object.entries(obj.data).map(([k, v]) => [k, typeof v === 'string' ? v.replace(/\s+/g, '') : v])) };
  }
  const Model = modelFor(obj.apiVersion, obj.kind);
  if (!Model) return [`no schema for ${obj.apiVersion} ${obj.kind}`];
  try {
    new Model(obj).validate();
    return [];
  } catch (e) {
    return String(e.message || e).split('\n').filter((l) => l.trim()).map((l) => l.trim());
  }
}

// --- rules -----------------------------------------------------------------------------------

const WORKLOADS = ['Deployment', 'DaemonSet', 'StatefulSet'];
const matches = (selector, labels) => !!selector && Object.keys(selector).length > 0
  && Object.entries(selector).every(([k, v]) => labels && labels[k] === v);

function seconds(duration) {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(String(duration).trim());
  if (!m) return NaN;
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] || 's'];
}

function rules(objs, externalSecrets) {
  const problems = [];
  const by = (kind) => objs.filter((o) => o.kind === kind);
  const names = (kind) => new Set(by(kind).map((o) => o.metadata.name));
  const configMaps = names('ConfigMap');
  const secrets = new Set([...names('Secret'), ...externalSecrets]);
  const workloads = objs.filter((o) => WORKLOADS.includes(o.kind) && o.spec && o.spec.template);
  const say = (o, msg) => problems.push(`${o.kind}/${o.metadata.name}: ${msg}`);

  for (const w of workloads) {
    const pod = w.spec.template.spec || {};
    const labels = (w.spec.template.metadata || {}).labels || {};
    const rootReason = ((w.spec.template.metadata || {}).annotations || {})['portcullis.dev/root-reason'];
    if (!matches((w.spec.selector || {}).matchLabels, labels)) say(w, 'spec.selector.matchLabels do not match the pod template labels');
    const volumes = new Map((pod.volumes || []).map((v) => [v.name, v]));
    for (const v of volumes.values()) {
      if (v.configMap && !configMaps.has(v.configMap.name)) say(w, `volume ${v.name}: no ConfigMap ${v.configMap.name}`);
      if (v.secret && !secrets.has(v.secret.secretName)) say(w, `volume ${v.name}: no Secret ${v.secret.secretName}`);
    }
    for (const c of pod.containers || []) {
      const where = `container ${c.name}`;
      const ports = new Set((c.ports || []).map((p) => p.name).filter(Boolean));
      const sc = c.securityContext || {};
      const podSc = pod.securityContext || {};
      const res = c.resources || {};
      if (!res.requests || !res.requests.memory || !res.requests.cpu) say(w, `${where}: needs resources.requests cpu and memory`);
      if (!res.limits || !res.limits.memory) say(w, `${where}: needs resources.limits.memory`);
      for (const probe of ['livenessProbe', 'readinessProbe']) if (!c[probe]) say(w, `${where}: needs a ${probe}`);
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
        const p = c[probe] && (c[probe].httpGet || c[probe].tcpSocket);
        if (p && typeof p.port === 'string' && !ports.has(p.port)) say(w, `${where}: ${probe} names port ${p.port}, which the container does not have`);
      }
      if (String(c.image || '').includes('portcullis/') && !/demo-sink/.test(c.image)) {
        const paths = { livenessProbe: '/q/health/live', readinessProbe: '/q/health/ready', startupProbe: '/q/health/started' };
        for (const [probe, p] of Object.entries(paths)) {
          if (!c[probe] || !c[probe].httpGet || c[probe].httpGet.path !== p) say(w, `${where}: ${probe} must be GET ${p} (Quarkus health)`);
        }
      }
      if (sc.allowPrivilegeEscalation !== false) say(w, `${where}: securityContext.allowPrivilegeEscalation must be false`);
      if (sc.readOnlyRootFilesystem !== true) say(w, `${where}: securityContext.readOnlyRootFilesystem must be true`);
      if (!sc.capabilities || !(sc.capabilities.drop || []).includes('ALL')) say(w, `${where}: securityContext.capabilities.drop must include ALL`);
      if (sc.privileged) say(w, `${where}: must not be privileged`);
      const nonRoot = sc.runAsNonRoot !== undefined ? sc.runAsNonRoot : podSc.runAsNonRoot;
      if (nonRoot !== true && !rootReason) say(w, `${where}: must run as non-root (runAsNonRoot: true), or say why in the annotation portcullis.dev/root-reason`);
      if (sc.readOnlyRootFilesystem === true) {
        const tmp = (c.volumeMounts || []).find((m) => m.mountPath === '/tmp');
        if (!tmp || !volumes.has(tmp.name) || !volumes.get(tmp.name).emptyDir) say(w, `${where}: a read-only root needs an emptyDir at /tmp`);
      }
      for (const m of c.volumeMounts || []) if (!volumes.has(m.name)) say(w, `${where}: mounts unknown volume ${m.name}`);
      for (const e of c.env || []) {
        const ref = e.valueFrom || {};
        if (ref.configMapKeyRef && !configMaps.has(ref.configMapKeyRef.name)) say(w, `${where}: env ${e.name}: no ConfigMap ${ref.configMapKeyRef.name}`);
        if (ref.secretKeyRef && !secrets.has(ref.secretKeyRef.name)) say(w, `${where}: env ${e.name}: no Secret ${ref.secretKeyRef.name}`);
        if (e.name === 'PORTCULLIS_DRAIN_TIMEOUT') {
          const drain = seconds(e.value);
          const grace = pod.terminationGracePeriodSeconds === undefined ? 30 : pod.terminationGracePeriodSeconds;
          if (!(drain < grace)) say(w, `terminationGracePeriodSeconds ${grace} must be longer than PORTCULLIS_DRAIN_TIMEOUT ${e.value}`);
        }
      }
    }
  }

  const podsMatching = (selector) => workloads.filter((w) => matches(selector, w.spec.template.metadata.labels));
  for (const s of by('Service')) {
    const targets = podsMatching(s.spec.selector);
    if (targets.length === 0) { say(s, 'selector matches no workload'); continue; }
    for (const p of s.spec.ports || []) {
      if (typeof p.targetPort !== 'string') continue;
      const has = targets.some((w) => w.spec.template.spec.containers.some((c) => (c.ports || []).some((cp) => cp.name === p.targetPort)));
      if (!has) say(s, `targetPort ${p.targetPort} is no port of the selected pods`);
    }
  }
  for (const pdb of by('PodDisruptionBudget')) {
    if (podsMatching((pdb.spec.selector || {}).matchLabels).length === 0) say(pdb, 'selector matches no workload');
  }
  const deployments = names('Deployment');
  for (const o of [...by('ScaledObject'), ...by('HorizontalPodAutoscaler')]) {
    const ref = o.spec.scaleTargetRef || {};
    if ((ref.kind || 'Deployment') === 'Deployment' && !deployments.has(ref.name)) say(o, `scaleTargetRef names no Deployment ${ref.name}`);
    const target = by('Deployment').find((d) => d.metadata.name === ref.name);
    if (target && target.spec.replicas !== undefined) say(o, `Deployment ${ref.name} is autoscaled but sets spec.replicas (every apply would reset it)`);
  }
  const kafkas = names('Kafka');
  for (const o of [...by('KafkaTopic'), ...by('KafkaNodePool')]) {
    const c = (o.metadata.labels || {})['strimzi.io/cluster'];
    if (c && !kafkas.has(c)) say(o, `strimzi.io/cluster ${c} names no Kafka`);
  }
  const grids = names('Infinispan');
  for (const o of by('Cache')) if (!grids.has(o.spec.clusterName)) say(o, `clusterName ${o.spec.clusterName} names no Infinispan`);
  for (const cm of by('ConfigMap')) {
    for (const [k, v] of Object.entries(cm.data || {})) {
      if (!k.endsWith('.json')) continue;
      try {
        const d = JSON.parse(v);
        for (const p of d.panels || []) if (!Array.isArray(p.targets) || p.targets.length === 0 || p.targets.some((t) => !t.expr)) say(cm, `${k}: panel ${p.title} has no query`);
      } catch (e) { say(cm, `${k}: not JSON: ${e.message}`); }
    }
  }
  return problems;
}

// --- main ------------------------------------------------------------------------------------

function main(argv) {
  const files = [];
  const external = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--external-secret') external.push(argv[++i]);
    else files.push(argv[i]);
  }
  if (files.length === 0) { console.error('usage: validate.js [--external-secret NAME]... FILE...'); return 2; }
  let failed = 0;
  for (const file of files) {
    const problems = [];
    let docs = [];
    try {
      docs = yaml.loadAll(fs.readFileSync(file, 'utf8')).filter((d) => d !== null && d !== undefined);
    } catch (e) {
      problems.push(`not YAML: ${e.message.split('\n')[0]}`);
    }
    const objs = [];
    docs.forEach((o, i) => {
      if (typeof o !== 'object' || Array.isArray(o) || !o.apiVersion || !o.kind || !o.metadata || !o.metadata.name) {
        problems.push(`document ${i + 1}: not a Kubernetes object (apiVersion, kind and metadata.name needed)`);
        return;
      }
      objs.push(o);
      for (const e of schemaErrors(o)) problems.push(`${o.kind}/${o.metadata.name}: ${e}`);
    });
    problems.push(...rules(objs, external));
    const label = path.relative(process.cwd(), file) || file;
    for (const p of problems) console.log(`${label}: ${p}`);
    if (problems.length) failed++;
    else console.log(`${label}: ${objs.length} objects valid`);
  }
  return failed ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));

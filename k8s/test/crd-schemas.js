'use strict';
// Shapes of the custom resources Portcullis uses whose CRD schemas no pinned npm package
// carries (Strimzi, the Infinispan Operator): the fields we set, their types, what is required,
// and no field outside them (a typo is an error, not a silently ignored key). Written from the
// operators' API references (Strimzi 0.46 kafka.strimzi.io/v1beta2, Infinispan Operator 2.4).
// A schema node: {type, required, props, items, enum, free, pattern}; free = any keys below.

const str = { type: 'string' };
const int = { type: 'integer' };
const bool = { type: 'boolean' };
const free = { type: 'object', free: true };
const resources = { type: 'object', props: { requests: free, limits: free, claims: { type: 'array', items: free } } };
const metadataOnly = { type: 'object', free: true };

const storageVolume = {
  type: 'object', required: ['id', 'type'],
  props: {
    id: int, type: { type: 'string', enum: ['ephemeral', 'persistent-claim'] }, size: str, sizeLimit: str,
    class: str, deleteClaim: bool, kraftMetadata: { type: 'string', enum: ['shared'] }, selector: free, overrides: free,
  },
};
const storage = {
  type: 'object', required: ['type'],
  props: { type: { type: 'string', enum: ['jbod', 'ephemeral', 'persistent-claim'] }, volumes: { type: 'array', items: storageVolume },
    size: str, sizeLimit: str, class: str, deleteClaim: bool, kraftMetadata: { type: 'string', enum: ['shared'] } },
};
const peer = { type: 'object', props: { podSelector: free, namespaceSelector: free, ipBlock: { type: 'object', required: ['cidr'], props: { cidr: str, except: { type: 'array', items: str } } } } };
const listener = {
  type: 'object', required: ['name', 'port', 'type', 'tls'],
  props: {
    name: { type: 'string', pattern: /^[a-z0-9]{1,11}$/ }, port: int, tls: bool,
    type: { type: 'string', enum: ['internal', 'route', 'loadbalancer', 'nodeport', 'ingress', 'cluster-ip'] },
    authentication: free, configuration: free, networkPolicyPeers: { type: 'array', items: peer },
  },
};

const kafkaTopicConfigValue = (v) => ['string', 'number', 'boolean'].includes(typeof v);

const SCHEMAS = {
  'kafka.strimzi.io/v1beta2/KafkaNodePool': {
    type: 'object', required: ['spec'], labels: ['strimzi.io/cluster'],
    props: { spec: { type: 'object', required: ['replicas', 'roles', 'storage'], props: {
      replicas: int, roles: { type: 'array', items: { type: 'string', enum: ['controller', 'broker'] } }, storage,
      resources, jvmOptions: free, template: free } } },
  },
  'kafka.strimzi.io/v1beta2/Kafka': {
    type: 'object', required: ['spec'],
    props: { spec: { type: 'object', required: ['kafka'], props: {
      kafka: { type: 'object', required: ['listeners'], props: {
        version: str, metadataVersion: str, listeners: { type: 'array', items: listener },
        config: { type: 'object', free: true, values: kafkaTopicConfigValue }, rack: { type: 'object', required: ['topologyKey'], props: { topologyKey: str } },
        authorization: free, resources, jvmOptions: free, template: free, metricsConfig: free, logging: free } },
      entityOperator: { type: 'object', props: { topicOperator: free, userOperator: free, template: free } },
      cruiseControl: free, kafkaExporter: free } } },
  },
  'kafka.strimzi.io/v1beta2/KafkaTopic': {
    type: 'object', required: ['spec'], labels: ['strimzi.io/cluster'],
    props: { spec: { type: 'object', required: ['partitions', 'replicas'], props: {
      topicName: str, partitions: int, replicas: int, config: { type: 'object', free: true, values: kafkaTopicConfigValue } } } },
  },
  'infinispan.org/v1/Infinispan': {
    type: 'object', required: ['spec'],
    props: { spec: { type: 'object', required: ['replicas'], props: {
      replicas: int, version: str, image: str,
      service: { type: 'object', props: { type: { type: 'string', enum: ['DataGrid', 'Cache'] },
        container: { type: 'object', props: { storage: str, storageClassName: str, ephemeralStorage: bool } }, sites: free } },
      security: { type: 'object', props: { endpointAuthentication: bool, endpointSecretName: str,
        endpointEncryption: { type: 'object', props: { type: { type: 'string', enum: ['None', 'Secret', 'Service'] }, certSecretName: str, certServiceName: str, clientCert: str, clientCertSecretName: str } },
        authorization: free } },
      container: { type: 'object', props: { cpu: { type: 'string', pattern: /^\d+m?(:\d+m?)?$/ }, memory: { type: 'string', pattern: /^\d+(Ki|Mi|Gi)?(:\d+(Ki|Mi|Gi)?)?$/ }, extraJvmOpts: str, cliExtraJvmOpts: str, routerExtraJvmOpts: str } },
      expose: { type: 'object', required: ['type'], props: { type: { type: 'string', enum: ['NodePort', 'LoadBalancer', 'Route'] }, port: int, nodePort: int, host: str, annotations: free } },
      affinity: free, logging: free, configMapName: str, upgrades: free, autoscale: free } } },
  },
  'infinispan.org/v2alpha1/Cache': {
    type: 'object', required: ['spec'],
    props: { spec: { type: 'object', required: ['clusterName'], props: {
      clusterName: str, name: str, template: str, templateName: str, adminAuth: free, updates: free } } },
  },
};

function check(node, value, path, errors) {
  if (node.type === 'integer') {
    if (!Number.isInteger(value)) errors.push(`${path}: must be an integer, is ${JSON.stringify(value)}`);
  } else if (node.type === 'array') {
    if (!Array.isArray(value)) { errors.push(`${path}: must be an array`); return; }
    if (node.items) value.forEach((v, i) => check(node.items, v, `${path}/${i}`, errors));
    return;
  } else if (node.type === 'object') {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) { errors.push(`${path}: must be an object`); return; }
    for (const r of node.required || []) if (!(r in value)) errors.push(`${path}: must have required property ${r}`);
    if (node.values) for (const [k, v] of Object.entries(value)) if (!node.values(v)) errors.push(`${path}/${k}: must be a string, number or boolean`);
    if (node.free) return;
    for (const [k, v] of Object.entries(value)) {
      if (!node.props || !(k in node.props)) errors.push(`${path}: unknown field ${k}`);
      else check(node.props[k], v, `${path}/${k}`, errors);
    }
    return;
  } else if (typeof value !== node.type) {
    errors.push(`${path}: must be a ${node.type}, is ${JSON.stringify(value)}`);
    return;
  }
  if (node.enum && !node.enum.includes(value)) errors.push(`${path}: must be one of ${node.enum.join(', ')}, is ${JSON.stringify(value)}`);
  if (node.pattern && !node.pattern.test(value)) errors.push(`${path}: ${JSON.stringify(value)} does not match ${node.pattern}`);
}

/** Errors of one custom resource, or null when no schema here knows its apiVersion/kind. */
function validateCustom(obj) {
  const schema = SCHEMAS[`${obj.apiVersion}/${obj.kind}`];
  if (!schema) return null;
  const errors = [];
  const { apiVersion, kind, metadata, ...rest } = obj;
  if (!metadata || typeof metadata.name !== 'string') errors.push('metadata: must have a name');
  for (const l of schema.labels || []) if (!metadata || !metadata.labels || !metadata.labels[l]) errors.push(`metadata/labels: must have ${l}`);
  check(schema, rest, '', errors);
  return errors;
}

module.exports = { validateCustom, kinds: Object.keys(SCHEMAS), metadataOnly };

export { kubernetesParsers, parseKubernetesPods, KUBERNETES_SOURCE } from '#src/connectors/kubernetes/pods.parser.js';
export { clusterFromQuery, type ClusterContext } from '#src/connectors/kubernetes/cluster.js';
export { KNOWN_MINER_IMAGES, isKnownMinerImage } from '#src/connectors/kubernetes/miner-indicators.js';

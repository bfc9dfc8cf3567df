#!/usr/bin/env bash
# k8s/validate.sh — validates every deployment file offline, without a cluster or Docker:
#   1. each of k8s/base and k8s/overlays/* renders with `kubectl kustomize`;
#   2. every rendered object passes k8s/test/validate.js (Kubernetes, KEDA and Prometheus
#      Operator schemas from pinned npm packages, Strimzi and Infinispan shapes, Portcullis' rules);
#   3. the copies of config/ under k8s/base/config/ are identical to config/ (main.cf excepted:
#      the cluster's own);
#   4. yamllint over k8s/, docker-compose.yml and .github/workflows/;
#   5. docker-compose config -q, with the tokens set, and refusing to start without them;
#   6. each Dockerfile runs as a non-root USER.
# Exit 0 when everything passes; 1 on a problem (printed); 3 when kubectl or node (or the npm
# packages: `npm ci` in k8s/test) are missing, so nothing could be checked. A missing yamllint or
# docker-compose is reported as SKIPPED and the rest still runs.
set -uo pipefail
K8S=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$K8S")
# Secrets every cluster creates itself (k8s/README.md, SECURITY); the dev overlay generates them.
EXTERNAL_SECRETS=(portcullis-api-token portcullis-ban-tokens portcullis-infinispan-client portcullis-edge-tls)
fail=0
problem() { printf 'validate: FAILED: %s\n' "$*"; fail=1; }
skipped() { printf 'validate: SKIPPED: %s\n' "$*"; }

command -v kubectl >/dev/null 2>&1 || { echo "validate: kubectl not installed (bin/install-test-peers)"; exit 3; }
# Components (k8s/components/) need kustomize 3.7+; kubectl prints its kustomize from 1.24 on,
# and Debian 12's kubernetes-client (1.20, kustomize 2.0.3) is too old.
kver=$(kubectl version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9]*\).*/\1/p')
[ -n "$kver" ] && [ "$kver" -ge 4 ] || { echo "validate: kubectl $(kubectl version --client 2>/dev/null | head -1) has no kustomize v4 or later (kubectl 1.24+ needed)"; exit 3; }
command -v node >/dev/null 2>&1 || { echo "validate: node not installed (bin/install-test-peers)"; exit 3; }
[ -d "$K8S/test/node_modules/kubernetes-models" ] || { echo "validate: npm packages missing: (cd k8s/test && npm ci)"; exit 3; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
targets=("$K8S/base")
for o in "$K8S"/overlays/*/; do targets+=("${o%/}"); done
own=()   # renders that generate their Secrets
bare=()  # renders that expect the documented external Secrets
for t in "${targets[@]}"; do
  name=${t#"$K8S"/}
  file="$out/${name//\//_}.yaml"
  if ! kubectl kustomize "$t" >"$file" 2>"$file.err"; then
    problem "kubectl kustomize $name: $(cat "$file.err")"
    continue
  fi
  if grep -q '^secretGenerator:' "$t/kustomization.yaml"; then own+=("$(basename "$file")"); else bare+=("$(basename "$file")"); fi
done
ext=()
for s in "${EXTERNAL_SECRETS[@]}"; do ext+=(--external-secret "$s"); done
# one node per group (its start is most of the time); output lines named after the kustomization
label() { sed -e 's|^base\.yaml:|base:|' -e 's|^overlays_\([^.]*\)\.yaml:|overlays/\1:|'; }
if [ ${#own[@]} -gt 0 ]; then
  (cd "$out" && node "$K8S/test/validate.js" "${own[@]}") | label || problem "rendered objects (${own[*]})"
fi
if [ ${#bare[@]} -gt 0 ]; then
  (cd "$out" && node "$K8S/test/validate.js" "${ext[@]}" "${bare[@]}") | label || problem "rendered objects (${bare[*]})"
fi

for f in "$K8S"/base/config/* "$K8S"/base/config/blocklists/*; do
  [ -f "$f" ] || continue
  rel=${f#"$K8S"/base/config/}
  [ "$rel" = main.cf ] && continue
  cmp -s "$f" "$ROOT/config/$rel" || problem "k8s/base/config/$rel differs from config/$rel (copy it again)"
done
for f in "$ROOT"/config/blocklists/*; do
  [ -f "$K8S/base/config/blocklists/$(basename "$f")" ] || problem "config/blocklists/$(basename "$f") is not in k8s/base/config/blocklists/ (nor in its configMapGenerator)"
done
if command -v postconf >/dev/null 2>&1; then
  d="$out/postconf"; mkdir -p "$d"; cp "$K8S/base/config/main.cf" "$d/"; : >"$d/master.cf"
  msgs=$(postconf -c "$d" -n 2>&1 >/dev/null | grep -v 'master.cf' || true)
  [ -z "$msgs" ] || problem "k8s/base/config/main.cf: postconf says: $msgs"
fi

if command -v yamllint >/dev/null 2>&1; then
  lint=(. ../docker-compose.yml)
  [ -d "$ROOT/.github/workflows" ] && lint+=(../.github/workflows)
  (cd "$K8S" && yamllint -f parsable -c .yamllint "${lint[@]}") || problem "yamllint"
else
  skipped "yamllint not installed (bin/install-test-peers)"
fi

if command -v docker-compose >/dev/null 2>&1; then
  (cd "$ROOT" && PORTCULLIS_API_TOKEN=t PORTCULLIS_BAN_API_ADMIN_TOKEN=a PORTCULLIS_BAN_API_READ_TOKEN=r \
     docker-compose -f docker-compose.yml config -q) || problem "docker-compose config -q"
  # each token must be required: with the others set, leaving one out must fail
  tokens=(PORTCULLIS_API_TOKEN PORTCULLIS_BAN_API_ADMIN_TOKEN PORTCULLIS_BAN_API_READ_TOKEN)
  for t in "${tokens[@]}"; do
    set_others=()
    for o in "${tokens[@]}"; do [ "$o" = "$t" ] || set_others+=("$o=x"); done
    if (cd "$ROOT" && env -u "$t" "${set_others[@]}" docker-compose -f docker-compose.yml config -q 2>/dev/null); then
      problem "docker-compose.yml starts without $t: tokens must have no default"
    fi
  done
else
  skipped "docker-compose not installed (bin/install-test-peers)"
fi

for f in "$ROOT"/docker/*Dockerfile*; do
  user=$(grep -E '^USER ' "$f" | head -1 | awk '{print $2}')
  case "${user%%:*}" in
    ''|0|root) problem "$(basename "$f"): its first USER must be a non-root user (is '${user:-none}')" ;;
  esac
done

[ "$fail" = 0 ] && echo "validate: OK (${#targets[@]} kustomizations, docker-compose.yml, Dockerfiles)"
exit "$fail"

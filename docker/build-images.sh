#!/usr/bin/env bash
# Builds (and with --push, pushes) every Portcullis image, for CI systems that have a container
# engine and a registry (this project's own machine has neither: ../shared/PLATFORM.md).
#   docker/build-images.sh [--push] [REGISTRY [TAG]]      defaults: portcullis, 0.1.0-SNAPSHOT
# Then point the manifests at them: k8s/components/registry/kustomization.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
push=0
if [ "${1:-}" = --push ]; then push=1; shift; fi
registry=${1:-portcullis}
tag=${2:-0.1.0-SNAPSHOT}
modules=(smtp-edge reputation-service ban-service content-filter enforcement-agent)
./mvnw -B -q package -DskipTests -pl "$(IFS=,; printf '%s' "${modules[*]}")" -am
for m in "${modules[@]}"; do
  target=service
  [ "$m" = enforcement-agent ] && target=agent
  docker build -f docker/Dockerfile.jvm --target "$target" -t "$registry/$m:$tag" "$m"
done
docker build -f docker/demo-sink.Dockerfile -t "$registry/demo-sink:$tag" docker
if [ "$push" = 1 ]; then
  for m in "${modules[@]}" demo-sink; do docker push "$registry/$m:$tag"; done
fi

#!/usr/bin/env bash
set -euo pipefail

NAMESPACE=${1:-staging}
if [[ -z "$(kubectl get ns "$NAMESPACE" -o name)" ]]; then
  echo "namespace $NAMESPACE missing" >&2
  exit 1
fi
for deploy in api worker; do
  kubectl -n "$NAMESPACE" rollout restart deployment/"$deploy"
  kubectl -n "$NAMESPACE" rollout status deployment/"$deploy" --timeout=120s
done

#!/usr/bin/env bash
# The prometheus-operator CustomResourceDefinitions the services chart renders (PrometheusRule
# for the alert rules, PodMonitor for the scrape), for deploy/k8s/vendor_schemas.py: from the Go
# module github.com/prometheus-operator/prometheus-operator at a release, through the Go module
# proxy (example/prometheus-operator-crd/ of the module's zip, the CRDs its release ships).
#
#   deploy/k8s/prometheus-operator-crds.sh OUT_DIR
#   .venv/bin/python deploy/k8s/vendor_schemas.py OUT_DIR
#
# writes monitoring.coreos.com_prometheusrules.yaml and monitoring.coreos.com_podmonitors.yaml
# into OUT_DIR.
set -euo pipefail
OUT="$(mkdir -p "$1" && cd "$1" && pwd -P)"
VERSION="v0.85.0"
MODULE="github.com/prometheus-operator/prometheus-operator"
PROXY="${GOPROXY_URL:-https://proxy.golang.org}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
curl -fsSL "$PROXY/$MODULE/@v/$VERSION.zip" -o "$WORK/module.zip"
for kind in prometheusrules podmonitors; do
  unzip -p "$WORK/module.zip" \
    "$MODULE@$VERSION/example/prometheus-operator-crd/monitoring.coreos.com_$kind.yaml" \
    >"$OUT/monitoring.coreos.com_$kind.yaml"
done

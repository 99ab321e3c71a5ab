#!/usr/bin/env bash
# Strimzi's CustomResourceDefinitions for deploy/k8s/vendor_schemas.py, as Strimzi publishes them:
# packaging/install/cluster-operator/ of the strimzi-kafka-operator repository at a release tag
# (Maven Central's crd-generator stops at 0.45.0, whose CRDs serve v1beta2; Strimzi 1.x serves
# only the kafka.strimzi.io/v1 API, which the data chart uses).
#
#   deploy/k8s/strimzi-crds.sh OUT_DIR            # from GitHub (raw.githubusercontent.com)
#   deploy/k8s/strimzi-crds.sh OUT_DIR CHECKOUT   # from a local clone of the repository (git show)
#
# writes 040-Crd-kafka.yaml, 043-Crd-kafkatopic.yaml, 044-Crd-kafkauser.yaml and
# 045-Crd-kafkanodepool.yaml into OUT_DIR: the kinds the data chart renders.
set -euo pipefail
OUT="$(mkdir -p "$1" && cd "$1" && pwd -P)"
CHECKOUT="${2:-}"
VERSION="1.2.0"  # a release tag; its operator runs Kafka 4.2.0, 4.2.1 and 4.3.0
FOLDER="packaging/install/cluster-operator"
for file in 040-Crd-kafka.yaml 043-Crd-kafkatopic.yaml 044-Crd-kafkauser.yaml 045-Crd-kafkanodepool.yaml; do
  if [[ -n "$CHECKOUT" ]]; then
    git -C "$CHECKOUT" show "$VERSION:$FOLDER/$file" >"$OUT/$file"
  else
    curl -fsSL "https://raw.githubusercontent.com/strimzi/strimzi-kafka-operator/$VERSION/$FOLDER/$file" \
      -o "$OUT/$file"
  fi
done

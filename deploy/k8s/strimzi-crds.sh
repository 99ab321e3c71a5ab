#!/usr/bin/env bash
# Strimzi's CustomResourceDefinitions, generated the way Strimzi's own build makes them: its
# crd-generator run over its api model classes, both from Maven Central (Strimzi publishes the
# CRD YAML itself only with its GitHub releases). For deploy/k8s/vendor_schemas.py:
#
#   deploy/k8s/strimzi-crds.sh OUT_DIR     # writes kafka.yaml, kafkanodepool.yaml, kafkatopic.yaml, kafkauser.yaml
set -euo pipefail
OUT="$(mkdir -p "$1" && cd "$1" && pwd -P)"
VERSION="0.45.0"  # the newest release whose crd-generator is on Maven Central
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cat >"$WORK/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>local</groupId><artifactId>strimzi-crds</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>io.strimzi</groupId><artifactId>crd-generator</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>io.strimzi</groupId><artifactId>api</artifactId><version>$VERSION</version></dependency>
  </dependencies>
</project>
POM
mvn -q -f "$WORK/pom.xml" dependency:copy-dependencies -DoutputDirectory="$WORK/lib"
java -cp "$WORK/lib/*" io.strimzi.crdgenerator.CrdGenerator --yaml --crd-api-version v1 \
  --api-versions v1beta2 \
  io.strimzi.api.kafka.model.kafka.Kafka="$OUT/kafka.yaml" \
  io.strimzi.api.kafka.model.nodepool.KafkaNodePool="$OUT/kafkanodepool.yaml" \
  io.strimzi.api.kafka.model.topic.KafkaTopic="$OUT/kafkatopic.yaml" \
  io.strimzi.api.kafka.model.user.KafkaUser="$OUT/kafkauser.yaml" 2>/dev/null

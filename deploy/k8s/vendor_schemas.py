"""Writes the JSON schemas kubeconform validates the charts with (deploy/k8s/schemas/), so that
validation needs no network. Run by hand when the Kubernetes version or an operator changes:

    python deploy/k8s/vendor_schemas.py [--kubernetes KUBERNETES_SCHEMAS] CRD_DIR [CRD_DIR ...]

- KUBERNETES_SCHEMAS: the ``kubernetes-json-schema/v1.33.0-local-strict`` folder of the PyPI
  package ``kubernetes-validate`` (1.33.0; ``pip download --no-deps kubernetes-validate==1.33.0``
  and unzip): every kind the charts use is copied, with its references pointed at the copied
  ``_definitions.json``;
- CRD_DIR: folders of CustomResourceDefinition YAML: ``config/crd/bases`` of the Go module
  ``github.com/cloudnative-pg/cloudnative-pg@v1.27.1`` (``go mod download -json`` prints where it
  went), and the folder ``deploy/k8s/strimzi-crds.sh`` writes Strimzi's into (the release's
  ``packaging/install/cluster-operator/`` CRDs of the strimzi-kafka-operator repository), and
  the folder ``deploy/k8s/prometheus-operator-crds.sh`` writes prometheus-operator's
  PrometheusRule and PodMonitor CRDs into (the services chart's monitoring, v0.85.0). The
  schemas a CRD no longer serves are removed: a chart still on a dropped API version then fails
  validation instead of passing against a stale file. Each version's
  ``openAPIV3Schema`` becomes ``<kind>-<group prefix>-<version>.json``, kubeconform's file
  name, with ``additionalProperties: false`` on every object that declares
  its properties (what ``-strict`` means for a custom resource) unless the CRD lets unknown
  fields through (``x-kubernetes-preserve-unknown-fields``).

Descriptions are dropped: validation does not read them and they are most of the bytes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import yaml

OUT = Path(__file__).resolve().parent / "schemas"

KINDS = [
    "configmap-v1",
    "secret-v1",
    "service-v1",
    "serviceaccount-v1",
    "deployment-apps-v1",
    "job-batch-v1",
    "poddisruptionbudget-policy-v1",
    "horizontalpodautoscaler-autoscaling-v2",
    "networkpolicy-networking-v1",
]


def _strip(node: Any, *, strict: bool) -> Any:
    if isinstance(node, dict):
        # No "description" (most of the bytes) and no "$id": references then resolve next to
        # the file, not at kubernetes.io.
        out = {
            k: _strip(v, strict=strict) for k, v in node.items() if k not in ("description", "$id")
        }
        if isinstance(out.get("$ref"), str) and out["$ref"].startswith("/api/_definitions.json"):
            out["$ref"] = out["$ref"].removeprefix("/api/")
        if (
            strict
            and "properties" in out
            and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_strip(item, strict=strict) for item in node]
    return node


def _write(name: str, schema: Any) -> None:
    (OUT / name).write_text(json.dumps(schema, sort_keys=True, separators=(",", ":")) + "\n")


def kubernetes(folder: Path) -> None:
    for kind in KINDS:
        _write(
            f"{kind}.json", _strip(json.loads((folder / f"{kind}.json").read_text()), strict=False)
        )
    _write(
        "_definitions.json",
        _strip(json.loads((folder / "_definitions.json").read_text()), strict=False),
    )


def crds(folder: Path) -> None:
    for path in sorted(folder.glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group_prefix = crd["spec"]["group"].split(".")[0]
            kind = crd["spec"]["names"]["kind"].lower()
            for stale in OUT.glob(f"{kind}-{group_prefix}-*.json"):
                stale.unlink()
            for version in crd["spec"]["versions"]:
                schema = _strip(version["schema"]["openAPIV3Schema"], strict=True)
                _write(f"{kind}-{group_prefix}-{version['name']}.json", schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kubernetes", type=Path, help="kubernetes-validate's schema folder")
    parser.add_argument("crd_dirs", type=Path, nargs="*", help="folders of CRD YAML")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    if args.kubernetes is not None:
        kubernetes(args.kubernetes)
    for folder in args.crd_dirs:
        crds(folder)


if __name__ == "__main__":
    main()

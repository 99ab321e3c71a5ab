#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to run and test the platform, and nothing twice:
#   - PostgreSQL server (Debian package), Java 17 and Maven (Debian packages) when missing;
#   - Prometheus and promtool (Debian package, without its recommended exporters) when missing;
#   - for the printable documents: LibreOffice headless (DOCX/XLSX → PDF), the Noto CJK fonts
#     (fallbacks for the fonts GB/T 9704 names) and poppler-utils (the render check's
#     pdftotext, pdfinfo, pdftoppm), when missing;
#   - Chromium (Debian package) when missing, for the headless render of the dashboards'
#     queries (tests/observability) and the console's browser tests (driven by Playwright,
#     never its own browser download);
#   - uv, pinned, in a private tool venv under .local/ (the system Python stays untouched);
#   - the Python workspace, exactly as locked in uv.lock (.venv);
#   - the Kafka broker jars from Maven Central (deploy/kafka/lib), via kafka.sh;
#   - helm and kubeconform, pinned, built from the Go module proxy into .local/tools/bin, for
#     the Kubernetes charts' validation (tests/deploy/test_k8s_chart.py).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
UV_VERSION="0.13.8"
HELM_VERSION="v3.19.0"
KUBECONFORM_VERSION="v0.7.0"
TOOLS="$ROOT/.local/tools"

say() { echo "install: $*"; }

apt_packages=()
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || apt_packages+=(postgresql)
command -v java >/dev/null || apt_packages+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || apt_packages+=(maven)
[[ -x /usr/local/go/bin/go ]] || command -v go >/dev/null || apt_packages+=(golang-go)
# Without --no-install-recommends the -nogui packages pull in most of a desktop.
doc_packages=()
command -v soffice >/dev/null || doc_packages+=(libreoffice-writer-nogui libreoffice-calc-nogui)
# fc-list matches the family itself: piped into grep -q, its SIGPIPE failed the pipeline
# under pipefail and the fonts were "installed" again on every run.
[[ -n "$(fc-list 'Noto Serif CJK SC' family 2>/dev/null)" ]] || doc_packages+=(fonts-noto-cjk)
command -v pdftotext >/dev/null || doc_packages+=(poppler-utils)
command -v chromium >/dev/null || doc_packages+=(chromium)
if ((${#doc_packages[@]})) && [[ $(id -u) -ne 0 ]]; then
  # Optional: without them the services still serve DOCX and XLSX (PDF is a 503) and the
  # render checks (documents, dashboards) and the console's browser tests are skipped.
  say "for PDF documents and the render checks, run:" \
    "sudo apt-get install --no-install-recommends ${doc_packages[*]}"
  doc_packages=()
fi
if ((${#apt_packages[@]} + ${#doc_packages[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install: missing Debian packages; run: sudo apt-get install ${apt_packages[*]}" >&2
    exit 1
  fi
  say "installing Debian packages: ${apt_packages[*]} ${doc_packages[*]}"
  apt-get update -qq
  if ((${#apt_packages[@]})); then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_packages[@]}" >/dev/null
  fi
  # The Debian package creates and starts a 'main' cluster on 5432 we don't use; leave it be.
  if ((${#doc_packages[@]})); then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${doc_packages[@]}" >/dev/null
  fi
fi
if ! command -v promtool >/dev/null; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install: promtool is missing; run: sudo apt-get install --no-install-recommends prometheus" >&2
    exit 1
  fi
  say "installing Debian package: prometheus (promtool; ./devctl up runs a Prometheus of its own)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

PYTHON="$(command -v python3.11 || command -v python3 || true)"
[[ -n "$PYTHON" ]] || { echo "install: Python 3.11 is missing: apt-get install python3" >&2; exit 1; }
"$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null \
  || { echo "install: Python 3.11 is required (found $("$PYTHON" --version))" >&2; exit 1; }

if [[ ! -x "$TOOLS/bin/uv" ]] || [[ "$("$TOOLS/bin/uv" --version)" != "uv $UV_VERSION"* ]]; then
  say "installing uv $UV_VERSION into .local/tools"
  "$PYTHON" -m venv "$TOOLS"
  "$TOOLS/bin/pip" install -q "uv==$UV_VERSION"
fi

say "syncing the Python workspace from uv.lock"
UV_PYTHON_DOWNLOADS=never "$TOOLS/bin/uv" sync --frozen --python "$PYTHON" --quiet

"$ROOT/deploy/local/kafka.sh" fetch

# helm and kubeconform: built once (a few minutes), then only checked.
GO="$(command -v go || echo /usr/local/go/bin/go)"
go_tool() {  # name, module path of its command, version
  local name=$1 module=$2 version=$3
  # The binary records the module version it was built from.
  if [[ -x "$TOOLS/bin/$name" ]] \
    && "$GO" version -m "$TOOLS/bin/$name" | grep -qE "^\s+mod\s+\S+\s+$version(\s|$)"; then
    return
  fi
  say "building $name $version from the Go module proxy into .local/tools/bin"
  mkdir -p "$TOOLS/bin"
  GOBIN="$TOOLS/bin" GOFLAGS=-buildvcs=false "$GO" install "$module@$version"
}
go_tool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION"
go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION"

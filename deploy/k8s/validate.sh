#!/usr/bin/env bash
# Validates the Kubernetes manifests offline: renders deploy/k8s with kustomize as it is, and with
# each component (tls, cpu-only, both), then checks every object with validate/validate.mjs:
# the Kubernetes API schema (kubernetes-models), unknown fields, and references between objects.
#
# Set up once (from the npm registry):  npm ci --prefix deploy/k8s/validate
# Needs: Node.js 20 or newer, and kubectl (its built-in kustomize) or kustomize v4 or newer.
# Usage: deploy/k8s/validate.sh [--print]     (--print also writes the rendered default to stdout)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
die() { echo "validate: $*" >&2; exit 2; }

[[ -d "$here/validate/node_modules" ]] || die "run once: npm ci --prefix deploy/k8s/validate"
command -v node >/dev/null || die "node not found (Node.js 20 or newer)"
if command -v kubectl >/dev/null; then
  render() { kubectl kustomize "$1"; }
elif command -v kustomize >/dev/null; then
  render() { kustomize build "$1"; }
else
  die "neither kubectl nor kustomize found"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A copy of deploy/k8s per variant, with its kustomization's component list extended.
variant() {
  local label="$1"; shift
  local dir="$work/$label"
  mkdir -p "$dir"
  tar -C "$here" --exclude=./validate -cf - . | tar -C "$dir" -xf -
  node --input-type=module - "$dir/kustomization.yaml" "$@" <<'EOF'
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
const [file, ...add] = process.argv.slice(2);
const require = createRequire(process.env.VALIDATE_DIR + "/package.json");
const YAML = require("yaml");
const doc = YAML.parseDocument(readFileSync(file, "utf8"));
const components = doc.get("components")?.toJSON?.() ?? [];
doc.set("components", [...new Set([...components, ...add])]);
writeFileSync(file, doc.toString());
EOF
  render "$dir" > "$work/$label.yaml" || die "kustomize failed for variant $label"
  printf '%-22s ' "$label:"
  node "$here/validate/validate.mjs" "$work/$label.yaml"
}

export VALIDATE_DIR="$here/validate"
status=0
variant default || status=1
variant tls components/tls || status=1
variant cpu-only components/cpu-only || status=1
variant tls+cpu-only components/tls components/cpu-only || status=1
if [[ "${1:-}" == "--print" ]]; then cat "$work/default.yaml"; fi
exit "$status"

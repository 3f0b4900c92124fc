#!/usr/bin/env bash
# Redraws docs/figures/architecture.svg from docs/architecture.dot (needs graphviz: apt install graphviz).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v dot >/dev/null || { echo "draw_architecture: graphviz's dot is not installed (apt install graphviz)" >&2; exit 1; }
dot -Tsvg docs/architecture.dot -o docs/figures/architecture.svg
dot -Tpng -Gdpi=90 docs/architecture.dot -o docs/figures/architecture.png
echo "draw_architecture: docs/figures/architecture.svg and .png" >&2

#!/usr/bin/env bash
# Refreshes the README's table of config keys (between its keys markers) from the schema,
# `alignsim config --markdown`. Usage: scripts/update_readme_keys.sh [path/to/alignsim]
set -euo pipefail
cd "$(dirname "$0")/.."
A=${1:-build/sim/alignsim}
[ -x "$A" ] || { echo "update_readme_keys: no alignsim binary at $A (build it first)" >&2; exit 1; }
table=$("$A" config --markdown)
/usr/bin/python3 - "$table" <<'PY'
import sys
table = sys.argv[1].rstrip("\n")
r = open("README.md").read()
start, end = "<!-- keys:start -->", "<!-- keys:end -->"
head, rest = r.split(start, 1)
_, tail = rest.split(end, 1)
open("README.md", "w").write(head + start + "\n" + table + "\n" + end + tail)
PY
echo "update_readme_keys: README.md key table refreshed" >&2

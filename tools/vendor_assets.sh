#!/usr/bin/env bash
# Fetch the JavaScript the offline book needs into book/vendor/ (git-ignored).
#   book/vendor/mathjax/es5/   MathJax 3 (npm registry: `npm pack mathjax@3`)
#   book/vendor/plotly.min.js  copied from the installed Python plotly package
# Idempotent: each asset is skipped when already present; each is moved into place only when complete, so an
# interrupted run (Ctrl-C during make book) is simply redone by the next.
# Usage: tools/vendor_assets.sh [PYTHON]   (default: .venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${1:-.venv/bin/python}"
VENDOR=book/vendor
mkdir -p "$VENDOR"

if [ ! -f "$VENDOR/mathjax/es5/tex-chtml.js" ]; then
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && npm pack --silent mathjax@3 >/dev/null)
    tar -xzf "$tmp"/mathjax-3*.tgz -C "$tmp"
    rm -rf "$VENDOR/mathjax"
    mkdir -p "$VENDOR/mathjax"
    cp "$tmp/package/package.json" "$tmp/package/LICENSE" "$VENDOR/mathjax/"
    mv "$tmp/package/es5" "$VENDOR/mathjax/es5"
    echo "vendored MathJax $("$PYTHON" -c "import json; print(json.load(open('$VENDOR/mathjax/package.json'))['version'])")"
fi

if [ ! -f "$VENDOR/plotly.min.js" ]; then
    src="$("$PYTHON" -c 'import pathlib, plotly; print(pathlib.Path(plotly.__file__).parent / "package_data" / "plotly.min.js")')"
    # copy under a temporary name, then rename: an interrupted copy (Ctrl-C, full disk) never leaves a
    # truncated plotly.min.js that the next run would take as done
    cp "$src" "$VENDOR/.plotly.min.js.tmp"
    mv "$VENDOR/.plotly.min.js.tmp" "$VENDOR/plotly.min.js"
    echo "vendored plotly.min.js from $src"
fi

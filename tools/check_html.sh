#!/usr/bin/env bash
# Post-build checks on the HTML book (run by `make book`):
#   1. no <script src="http..."> or <link href="http..."> tags: the book must work offline;
#   2. no error output (traceback) rendered from an executed notebook cell;
#   3. no Markdown table left unrendered (a paragraph of text starting with '| ');
#   4. the vendored MathJax and plotly.js reached _static/;
#   5. no ipywidgets state or views embedded: live widgets (notebooks/explore.ipynb, a tqdm bar in a kernel) need
#      a kernel, and an executed copy would put dead copies of them and their state into the static book.
# Usage: tools/check_html.sh [HTML_DIR]   (default: _build/html)
set -euo pipefail
cd "$(dirname "$0")/.."
html="${1:-_build/html}"
fail=0

remote=$(grep -rlE --include='*.html' '<(script|link)[^>]*(src|href)="(https?:)?//' "$html" || true)
if [ -n "$remote" ]; then
    echo "check_html: remote <script>/<link> tags in:" >&2
    echo "$remote" >&2
    grep -rhoE --include='*.html' '<(script|link)[^>]*(src|href)="(https?:)?//[^"]*"' "$html" | sort -u >&2
    fail=1
fi

errors=$(grep -rlE --include='*.html' 'class="output (traceback|error)' "$html" || true)
if [ -n "$errors" ]; then
    echo "check_html: error outputs from notebook cells in:" >&2
    echo "$errors" >&2
    fail=1
fi

raw=$(grep -rlE --include='*.html' '<p>\| ' "$html" || true)
if [ -n "$raw" ]; then
    echo "check_html: Markdown tables rendered as plain text (a paragraph starting with '| ') in:" >&2
    echo "$raw" >&2
    fail=1
fi

widgets=$(grep -rlE --include='*.html' 'application/vnd\.jupyter\.widget-(state|view)\+json' "$html" || true)
if [ -n "$widgets" ]; then
    echo "check_html: ipywidgets state embedded (live widgets need a kernel; keep them out of the static build) in:" >&2
    echo "$widgets" >&2
    fail=1
fi

for f in _static/mathjax/es5/tex-chtml.js _static/plotly.min.js; do
    if [ ! -f "$html/$f" ]; then
        echo "check_html: missing $html/$f (run make vendor)" >&2
        fail=1
    fi
done

if [ "$fail" -ne 0 ]; then
    exit 1
fi
echo "check_html: $html is offline-clean (local MathJax + plotly.js, no remote tags, no error outputs, no widget state)"

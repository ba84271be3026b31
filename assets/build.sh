#!/usr/bin/env bash
# Compile the design system into cop/static (run from the repository root after `npm ci`).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p cop/static/css cop/static/js
npx sass --load-path=node_modules --style=compressed --no-source-map --quiet-deps \
  assets/scss/main.scss cop/static/css/app.css
cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js cop/static/js/govuk-frontend.min.js
cp assets/js/app.mjs cop/static/js/app.mjs
if grep -q 'url(' cop/static/css/app.css; then
  echo "cop/static/css/app.css refers to a font or image (url(...)); GOV.UK brand assets must not be used." >&2
  exit 1
fi
echo "Built cop/static/css/app.css ($(wc -c < cop/static/css/app.css) bytes) and cop/static/js."

#!/usr/bin/env bash
# Compile cop's design system into cop/static. Run from anywhere after `npm ci`
# (`make assets` does both). The compiled files are committed, so the app runs
# without Node; rebuild them after changing assets/ or upgrading govuk-frontend.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p cop/static/css cop/static/js
npx sass --load-path=node_modules --style=compressed --no-source-map assets/scss/main.scss cop/static/css/app.css
cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js cop/static/js/govuk-frontend.min.js
cp assets/js/app.mjs cop/static/js/app.mjs

# GOV.UK's typeface, crest and images are for GOV.UK only: the stylesheet must
# not refer to any font or image file.
if grep -q 'url(' cop/static/css/app.css; then
  echo "assets/build.sh: cop/static/css/app.css contains url(...): a GOV.UK font or image crept in." >&2
  exit 1
fi
if grep -q 'GDS Transport' cop/static/css/app.css; then
  echo "assets/build.sh: cop/static/css/app.css names the GDS Transport typeface." >&2
  exit 1
fi

echo "assets/build.sh: built cop/static/css/app.css ($(wc -c < cop/static/css/app.css) bytes), cop/static/js/govuk-frontend.min.js and cop/static/js/app.mjs."

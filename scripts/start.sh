#!/bin/sh
# npm start: build (turbo's own log is shown only if the build fails), then run every service.
set -eu
cd "$(dirname "$0")/.."
log=$(mktemp)
echo "porthost: building (the first time takes a minute)..." >&2
if ! node_modules/.bin/turbo run build --output-logs=errors-only > "$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "porthost: the build failed (above); nothing was started" >&2
  exit 1
fi
rm -f "$log"
exec node apps/cli/bin/porthost.js start "$@"

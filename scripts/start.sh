#!/bin/sh
# npm start: build (a line per package as it starts, an estimate, and turbo's own log only if the
# build fails: scripts/build-progress.mjs), then run every service.
# npm runs this as `exec sh scripts/start.sh`, and this execs the supervisor, so the signals npm
# forwards (SIGINT, SIGTERM) reach node itself. During the build a signal, or npm going away,
# stops turbo and starts nothing.
set -eu
cd "$(dirname "$0")/.."
parent=$PPID
node scripts/build-progress.mjs &
build=$!
stop_build() {
  kill "$build" 2>/dev/null || true
  wait "$build" 2>/dev/null || true
  exit "$1"
}
trap 'stop_build 129' HUP
trap 'stop_build 130' INT
trap 'stop_build 143' TERM
while kill -0 "$build" 2>/dev/null; do
  kill -0 "$parent" 2>/dev/null || stop_build 1
  sleep 0.2
done
status=0
wait "$build" || status=$?
trap - HUP INT TERM
if [ "$status" -ne 0 ]; then
  echo "porthost: nothing was started" >&2
  exit 1
fi
kill -0 "$parent" 2>/dev/null || exit 1
exec node apps/cli/bin/porthost.js start "$@"

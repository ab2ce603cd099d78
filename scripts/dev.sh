#!/bin/sh
# npm run dev: every app restarting on change (tsx watch; vite --watch for the switchboard), sharing
# one Maildir and one events token as `npm start` does. turbo runs each app in its own folder,
# so a relative data directory is made absolute here, from where npm was run.
set -eu
cd "$(dirname "$0")/.."
data_dir=${PORTHOST_DATA_DIR:-data}
case $data_dir in /*) ;; *) data_dir=$PWD/$data_dir ;; esac
PORTHOST_DATA_DIR=$data_dir
PORTHOST_EVENTS_TOKEN=${PORTHOST_EVENTS_TOKEN:-$(node -p 'require("node:crypto").randomBytes(24).toString("hex")')}
export PORTHOST_DATA_DIR PORTHOST_EVENTS_TOKEN
echo "porthost dev: apps restart when their code changes; mail in $PORTHOST_DATA_DIR/Maildir; Ctrl-C stops." >&2
exec node_modules/.bin/turbo run dev --filter='./apps/*' --filter='!@porthost/cli' --output-logs=new-only "$@"

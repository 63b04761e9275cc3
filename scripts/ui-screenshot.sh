#!/usr/bin/env bash
# npm run ui:screenshot [RESTORE_ID]: screenshots of the Temporal Web UI of the local stack into docs/ui/
# (the restores list with the project's search attributes as columns, and one restore's page).
# Installs Debian's Chromium if it is missing. Run `npm run demo` first to have a restore to show.
. "$(dirname "$0")/lib.sh"
cd "$PITR_ROOT"
if [[ ! -x /usr/bin/chromium ]]; then
  say "installing: chromium (Debian package, for headless screenshots)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
load_stack_env
mkdir -p docs/ui
node --experimental-websocket --no-warnings scripts/ui-screenshot.mjs docs/ui "$@"

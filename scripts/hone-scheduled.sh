#!/bin/sh
# The unattended loop, as cron or a systemd timer runs it: watch every agent (posting to the webhooks of
# [notify] in hone.toml when something needs a person), then write the weekly report.
#
#   HONE_HOME  the workspace (required)
#   HONE       the hone command (default: hone on PATH; e.g. /srv/agents/.venv/bin/hone)
#   HONE_KEEP  how many weekly reports to keep (default 12)
#
# Exit status: the report's when it failed (1), else watch's: 3 when something needs a person (cron mails
# the output), 2 on a configuration error, 0 when all is quiet.
set -u
cd "${HONE_HOME:?set HONE_HOME to the workspace}" || exit 2
HONE="${HONE:-hone}"

$HONE watch --notify
watched=$?
$HONE report weekly --keep "${HONE_KEEP:-12}" --no-input
reported=$?
[ "$reported" -ne 0 ] && exit "$reported"
exit "$watched"

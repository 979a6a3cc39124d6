#!/usr/bin/env bash
# The main job: set up, then run the web app and a django-q2 worker together.
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
PY=.venv/bin/python
$PY manage.py migrate --noinput
$PY manage.py createcachetable
$PY manage.py ensure_admin
ADDR=${ADDR:-127.0.0.1:8000}
echo "==> Epoch Builder on http://$ADDR/ (worker: django-q2). Ctrl-C stops both."
pids=()
cleanup() {
  trap - INT TERM EXIT
  kill -INT "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap cleanup INT TERM EXIT
$PY manage.py qcluster &
pids+=($!)
$PY manage.py runserver "$ADDR" --noreload &
pids+=($!)
# Whichever stops first stops the other.
wait -n "${pids[@]}" || true

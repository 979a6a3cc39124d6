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
export ADDR=${ADDR:-127.0.0.1:8000}
echo "==> Epoch Builder on http://$ADDR/ (worker: django-q2). Ctrl-C stops both."
exec scripts/serve.sh

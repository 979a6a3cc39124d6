#!/usr/bin/env bash
# The web app and a django-q2 worker side by side, in the foreground; Ctrl-C (or SIGTERM)
# stops both and frees the port, every time. PY (the Python) and ADDR may be set.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
ADDR=${ADDR:-127.0.0.1:8000}
pids=()
# Each runs in its own process group (setsid), signalled as a whole: nothing it started stays.
groups() { for pid in "${pids[@]}"; do echo "-$pid"; done; }
cleanup() {
  trap - INT TERM EXIT
  # Background commands of a script ignore SIGINT (runserver would keep the port): TERM them.
  kill -TERM -- $(groups) 2>/dev/null || true
  for _ in $(seq 1 150); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  kill -KILL -- $(groups) 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap cleanup INT TERM EXIT
setsid $PY manage.py qcluster &
pids+=($!)
setsid $PY manage.py runserver "$ADDR" --noreload &
pids+=($!)
# Whichever stops first stops the other.
wait -n "${pids[@]}" || true

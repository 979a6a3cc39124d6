#!/usr/bin/env bash
# The whole test suite. As root it installs the system packages the tests need; otherwise
# it says what is missing and the tests that need it are skipped with that reason.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "==> installing ${need[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "!! missing system packages: ${need[*]} (sudo apt-get install ${need[*]});"
    echo "!! the browser and SSH tests will be skipped, each saying why."
  fi
fi
exec .venv/bin/python -m pytest "$@"

"""Settings for the test suite: the real settings with fast hashing and short job timings."""

import os
import tempfile

os.environ.setdefault("JOB_HEARTBEAT_SECONDS", "1")
os.environ.setdefault("JOB_STALE_SECONDS", "4")
# The workers the tests start load TensorFlow only when they train (the test of the start sets it).
os.environ.setdefault("TRAINING_WARM_AT_START", "false")
_tmp = tempfile.mkdtemp(prefix="epoch-builder-tests-")
os.environ.setdefault("EPOCHS_ROOT", os.path.join(_tmp, "epochs"))
os.environ.setdefault("CANDLES_ROOT", os.path.join(_tmp, "candles"))
os.environ.setdefault("SSH_DIR", os.path.join(_tmp, "ssh"))

from epoca_builder.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The suite's SSH servers run on this machine, as root in CI: a real reboot would reboot it.
SERVER_POWER_COMMANDS = {
    "reboot": ("echo", "reboot requested (harmless test command)"),
    "shutdown": ("echo", "shutdown requested (harmless test command)"),
}

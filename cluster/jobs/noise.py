"""TensorFlow's start-up noise in a child's output: lines no one acts on, kept out of job logs.

TensorFlow, XLA and absl log through a C++ logger (``2024-01-05 12:00:00.123456: I tensorflow/...]``
or absl's ``I0000 00:00:1733066478.123456   4242 cuda_executor.cc:1015]``) and Python's
(``WARNING:tensorflow:``, ``WARNING:absl:``); Keras and TensorFlow raise Python warnings, printed
as ``path.py:87: UserWarning: ...`` and the source line below it. Information and warnings go;
errors stay, except the few that every start on a machine without (or with a second copy of)
CUDA prints.
"""

from __future__ import annotations

import re

# Both C++ log prefixes: the level letter, then the source file and line.
_NATIVE = re.compile(
    r"^(?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: (?P<old>[IWEF]) |(?P<absl>[IWEF])\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ )"
    r"\S+:\d+\] (?P<message>.*)$"
)
# Errors printed at every start that change nothing (no GPU, or CUDA plugins registered twice).
_HARMLESS_ERRORS = re.compile(
    r"Unable to register cu(DNN|FFT|BLAS) factory|failed call to cuInit|Could not find cuda drivers"
    r"|could not open file to read NUMA node"
)
_LINES = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags\."
    r"|WARNING:(tensorflow|absl):"
    r"|INFO:(tensorflow|absl):"
    r"|Could not find cuda drivers on your machine, GPU will not be used\."
    r")"
)
# A Python warning raised inside TensorFlow, Keras or absl (its source line follows, indented).
_PY_WARNING = re.compile(r"^\S*/(tensorflow|tf_keras|keras|absl)/\S+\.py:\d+: \w*Warning: ")


class StartupNoise:
    """Tells the noise lines of one child's output; it remembers the line before (a warning's
    source line, a blank line after a noise line)."""

    def __init__(self) -> None:
        self._after_noise = False
        self._after_warning = False

    def __call__(self, line: str) -> bool:
        after_noise, after_warning = self._after_noise, self._after_warning
        noise = self._is_noise(line) or (after_warning and line.startswith((" ", "\t"))) or (after_noise and not line)
        self._after_noise = noise and bool(line)
        self._after_warning = bool(_PY_WARNING.match(line))
        return noise

    @staticmethod
    def _is_noise(line: str) -> bool:
        native = _NATIVE.match(line)
        if native:
            level = native.group("old") or native.group("absl")
            return level in "IW" or (level == "E" and bool(_HARMLESS_ERRORS.search(native.group("message"))))
        return bool(_LINES.match(line) or _PY_WARNING.match(line))

"""The prediction-model certificate Epoca reads (EPOCA_CONTRACT.md §1.2, §1.5).

The rules live in :mod:`epochs.engine.epoch_file_contract` (the export checks the same ones);
the build refuses a certificate with every problem found.
"""

from __future__ import annotations

from epochs.engine.epoch_file_contract import built_certificate_problems


class CertificateError(ValueError):
    """A certificate that does not match what Epoca reads."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def validate_certificate(cert: dict, epoch_id: str) -> None:
    """Raise :class:`CertificateError` listing every key that Epoca would misread."""
    problems = built_certificate_problems(cert, epoch_id)
    if problems:
        raise CertificateError(problems)

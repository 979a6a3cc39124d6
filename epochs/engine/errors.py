"""Errors raised by the candle and epoch engine.

Every error names the file (and, where it applies, the 1-based line and the rule broken) so a
person can open the file and see what is wrong.
"""

from __future__ import annotations


class CandleImportError(ValueError):
    """Candles could not be imported; the store was left as it was."""

    def __init__(self, message: str, *, file: str | None = None) -> None:
        super().__init__(f"{file}: {message}" if file else message)
        self.file = file


class SourceFileMissingError(CandleImportError):
    """The source has no such file (HTTP 404 or no file in the local folder)."""


class ChecksumMismatchError(CandleImportError):
    """A downloaded file's sha256 differs from its published checksum."""


class ChecksumMissingError(CandleImportError):
    """A zip is at the source but its ``.CHECKSUM`` file is not: it cannot be verified."""


class CorruptArchiveError(CandleImportError):
    """A zip archive is truncated, damaged or does not hold exactly one CSV."""


class CandleValidationError(CandleImportError):
    """A candle breaks a rule; ``line`` is 1-based in the CSV (header included)."""

    def __init__(self, file: str, line: int | None, rule: str) -> None:
        where = f"{file}, line {line}" if line is not None else file
        ValueError.__init__(self, f"{where}: {rule}")
        self.file = file
        self.line = line
        self.rule = rule


class StoreError(CandleImportError):
    """The candle store is inconsistent (continuity across months, manifest, checksums)."""


class EpochError(ValueError):
    """An epoch cannot be built from the given candles."""


class EpochParameterError(ValueError):
    """One or more epoch parameters are invalid; ``errors`` maps field name to message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors

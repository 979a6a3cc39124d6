"""What an Epoch File is: its member names, the limits of an upload, the parsed file, its error."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from epochs.engine.epoch_file_contract import EPOCH_JSON, MODEL_CERTIFICATE, REGRESSION_CERTIFICATES

MANIFEST = "manifest.json"
JSON_MEMBERS = (EPOCH_JSON, MODEL_CERTIFICATE, REGRESSION_CERTIFICATES)
H5_ATTRIBUTES = ("id", "description", "lookback", "predictions")
MANIFEST_FORMAT = "epoca-epoch-file"

# Epoca's upload limit (the GUI refuses larger files; its storage rule allows < 400 MiB).
MAX_EPOCH_FILE_BYTES = 390 * 1024 * 1024

# Features (EPOCA_CONTRACT §3.2): change = pct_change(last input, last prediction) rounded to
# 2 decimals; |change| < 0.01 gives 0; else sign * round((min(|change|, 1) - 0.01) / 0.99, 6).
MIN_FEATURE_VALUE, MAX_FEATURE_VALUE = 0.01, 1.0
FEATURE_STEP = 0.000001  # the 6-decimal rounding of a feature: the comparison tolerance
# A model run in another process may differ from the build's run in the last float bits. That
# moves a feature only when its raw percentage change lies this close (in percent) to a
# 2-decimal rounding boundary; such windows are reported, not failed.
ROUNDING_EDGE_PERCENT = 1e-6
RAW_OUTPUT_TOLERANCE = 1e-5  # absolute, on normalised values in (0, 1]


class EpochFileError(ValueError):
    """The zip is not a valid Epoch File; the message names the file, member and rule."""


# ---------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class EpochFileLimits:
    """What an uploaded Epoch File may hold, checked from the zip directory before a member is read."""

    members: int = 40
    member_bytes: int = 256 * 2**20  # uncompressed, each member
    total_bytes: int = 1024 * 2**20  # uncompressed, all members
    json_bytes: int = 32 * 2**20  # each JSON member (parsed in memory)
    json_depth: int = 64
    compression_ratio: int = 100  # uncompressed / compressed, for members over 1 MiB
    name_chars: int = 255
    h5_attributes: int = 64
    model_config_bytes: int = 2**20
    h5_string_bytes: int = 8 * 2**20  # room for variable-length strings (what the file holds besides its weights)
    h5_objects: int = 10_000
    echoed_chars: int = 10_000  # strings echoed back in an inspection


DEFAULT_LIMITS = EpochFileLimits()
COPY_CHUNK_BYTES = 2**20


@dataclass
class EpochFile:
    """The parsed JSON members and the member list of an Epoch File (the zip stays closed)."""

    name: str  # file name as given (Epoca takes the epoch id from it)
    epoch_config: dict
    model_certificate: dict
    regression_certificates: list
    h5_members: list[str]
    manifest: dict | None
    members: dict[str, int]  # name -> uncompressed size

    @property
    def epoch_id(self) -> str:
        """The id in ``epoch.json`` (the file name should be ``<id>.zip``)."""
        value = self.epoch_config.get("id")
        return value if isinstance(value, str) else Path(self.name).stem

    @property
    def expected_name(self) -> str:
        return f"{self.epoch_id}.zip"

    @property
    def model_regression_ids(self) -> list[Any]:
        # JSON values as the certificate has them: read_epoch_file refuses ids that are not strings.
        return [
            r.get("id") for r in self.model_certificate.get("model", {}).get("regressions", []) if isinstance(r, dict)
        ]

"""The Epoch File: the zip Epoca installs (EPOCA_CONTRACT.md §2, §6). Write, read, verify, inspect.

Layout, all at the zip root (no folders): ``epoch.json``, ``prediction_model_certificate.json``
(one object), ``regression_certificates.json`` (a list), one ``<regression id>.h5`` per
regression of the model, and ``manifest.json`` (the sha256 and size of every other member; the
consumer ignores it, the original tool's files have none).

A file is only ever read by member name and in memory: names with folders, ``..``, absolute
paths or backslashes are refused (no zip-slip), nothing is extracted, and an uploaded ``.h5``
is read with h5py only (its attributes and ``model_config``), never loaded by Keras. Our own
exports load their models with Keras in a child process (:mod:`pipeline.engine.epoch_file_models`).
"""

from __future__ import annotations

from epochs.engine.epoch_file_contract import (  # noqa: F401  (the member names and the contract checks, re-exported)
    EPOCH_JSON,
    MODEL_CERTIFICATE,
    REGRESSION_CERTIFICATES,
    contract_problems,
    id_problems,
)

from .features import (  # noqa: F401
    at_rounding_edge,
    feature,
)
from .format import (  # noqa: F401
    COPY_CHUNK_BYTES,
    DEFAULT_LIMITS,
    FEATURE_STEP,
    H5_ATTRIBUTES,
    JSON_MEMBERS,
    MANIFEST,
    MANIFEST_FORMAT,
    MAX_EPOCH_FILE_BYTES,
    MAX_FEATURE_VALUE,
    MIN_FEATURE_VALUE,
    RAW_OUTPUT_TOLERANCE,
    ROUNDING_EDGE_PERCENT,
    EpochFile,
    EpochFileError,
    EpochFileLimits,
)
from .h5 import (  # noqa: F401
    ALLOWED_ACTIVATIONS,
    ALLOWED_CONFIG_CLASSES,
    ALLOWED_LAYER_CLASSES,
    ALLOWED_MODEL_CLASSES,
    _attr,
    _check_h5,
    _nested_problems,
    _size_of,
    _truncated,
    _variable_length,
    _weights_bytes,
    h5_metadata,
    model_config_problems,
)
from .inspection import (  # noqa: F401
    _echo,
    inspect_epoch_file,
)
from .reading import (  # noqa: F401
    _check_install,
    _parse_json,
    copy_member,
    directory_problem,
    member_problem,
    name_problem,
    open_zip,
    read_epoch_file,
    read_member,
)
from .verification import (  # noqa: F401
    Predictor,
    VerifyReport,
    _verify_manifest,
    _verify_predictions,
    position_window,
    verify_epoch_file,
)
from .writing import (  # noqa: F401
    _json_bytes,
    member_manifest,
    write_epoch_file,
)

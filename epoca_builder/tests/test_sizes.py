"""One way to write sizes on every page."""

from core.files import human_size


def test_sizes_read_the_same_everywhere():
    assert human_size(512) == "512 B"
    assert human_size(184_730) == "180.4 KiB"
    assert human_size(0.2 * 2**20) == "204.8 KiB"
    assert human_size(3.25 * 2**20) == "3.2 MiB"


def test_refusals_write_sizes_the_same_way():
    import io
    import zipfile

    import pytest

    from core.json_limits import JSONLimitError, check_json_bounds
    from pipeline.engine.epoch_file.format import EpochFileLimits
    from pipeline.engine.epoch_file.reading import directory_problem

    with pytest.raises(JSONLimitError, match=r"^JSON: 180\.4 KiB exceeds the limit of 128\.0 KiB$"):
        check_json_bounds(b" " * 184_730, max_bytes=2**17)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("epoch.json", b"{}" + b" " * (3 * 2**20))
    problem = directory_problem(zipfile.ZipFile(buffer).infolist(), EpochFileLimits(json_bytes=2**20))
    assert problem == "member epoch.json: 3.0 MiB uncompressed, over the limit of 1.0 MiB"

"""One way to write sizes on every page."""

from core.files import human_size


def test_sizes_read_the_same_everywhere():
    assert human_size(512) == "512 B"
    assert human_size(184_730) == "180.4 KiB"
    assert human_size(0.2 * 2**20) == "204.8 KiB"
    assert human_size(3.25 * 2**20) == "3.2 MiB"

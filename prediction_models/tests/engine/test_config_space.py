import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prediction_models.engine.config_space import Config, ConfigSpace, ConfigSpaceError

IDS = tuple(f"KR_{i:02d}" for i in range(20))


def test_default_space_has_755820_configs():
    assert len(ConfigSpace(IDS)) == 755_820
    assert len(ConfigSpace(IDS[:16])) == 77_220


def test_order_is_itertools_then_pcr_msf_msaf():
    space = ConfigSpace(IDS[:7], 3, pcrs=(2, 3), msafs=(1, 2))
    expected = [
        {"pcr": p, "msf": f, "msaf": a, "ri": list(c)}
        for c in itertools.combinations(IDS[:7], 3)
        for p in (2, 3)
        for f in ("mean", "median")
        for a in (1, 2)
    ]
    assert [space.minified(i) for i in range(len(space))] == expected


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=755_819))
def test_index_roundtrip(index):
    space = ConfigSpace(IDS)
    config = space.config(index)
    assert space.index(config) == index
    assert space.index_of_minified(space.minified(index)) == index


def test_last_combination_and_bounds():
    space = ConfigSpace(IDS)
    assert space.config(len(space) - 1) == Config(tuple(range(12, 20)), 3, "median", 2)
    with pytest.raises(ConfigSpaceError):
        space.config(len(space))
    with pytest.raises(ConfigSpaceError):
        space.index_of_minified({"pcr": 3, "msf": "mean", "msaf": 1, "ri": ["unknown"] * 8})
    with pytest.raises(ConfigSpaceError):
        ConfigSpace(IDS, msfs=("mode",))

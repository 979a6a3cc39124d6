"""The epoch's parameter columns are added from PARAMS at import; the model declares their types
for the type checker by hand. The two must not drift apart."""

from epochs.engine.epoch_params import PARAMS, Param
from epochs.models import Epoch


def _declared_type(param: Param) -> object:
    base = list[param.item] if param.kind is list else param.kind
    return base | None if param.nullable else base


def test_every_parameter_column_has_its_declared_type():
    declared = Epoch.__annotations__
    expected = {p.name: _declared_type(p) for p in PARAMS}
    assert {name: declared.get(name) for name in expected} == expected
    # Only parameters are declared that way: a stray name would type a column that does not exist.
    assert set(declared) == set(expected)
    for name in declared:
        assert Epoch._meta.get_field(name).name == name

"""The regression families (the grid's categories), each declared once.

A family names its templates (``KR_<family>[_MP]_S<depth>``), the params each of them needs,
how many conv layers it stacks (to refuse a lookback the stack would empty) and the Keras
layers between the input's reshape and ``Dense_Output``. The templates, the grid's
categories, the database's choices, the leaderboard's networks and the charts' codes all
read ``FAMILIES``, so a new family is one `Family` here and its entry in a grid profile.

Layer names follow the original templates (``Conv1D_1``, ``MaxPooling1D_1``, ``Dense_1``,
``LSTM_1``, ``GRU_1``, ``Flatten_1``) because certificates list them; a family that uses a
Keras layer class not yet listed in the Epoch File's allowed layers
(`pipeline.engine.epoch_file.h5`) needs Epoca to load it first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["FAMILIES", "UNIT_TEST", "Family", "category_names", "network_names"]

UNIT_TEST = "UNIT_TEST"  # the grid's one-regression category, not a family of templates


@dataclass(frozen=True)
class Family:
    name: str
    requirements: Callable[[int, bool], dict[str, int]]  # (depth, max_pooling) -> items per param
    body: Callable[[Any, Mapping[str, Any], int, bool], list]  # (keras layers, config, depth, max_pooling)
    convs: Callable[[int], int] = lambda depth: 0  # conv layers of a stack of ``depth``
    max_pooling: bool = False  # also offered with max pooling (``KR_<name>_MP_S<depth>``)
    reshape: bool = True  # the input is reshaped to (lookback, 1) first
    depths: tuple[int, ...] = (2, 3, 4, 5)


def _conv(layers: Any, m: Mapping[str, Any], i: int, max_pooling: bool, activation: int | None = None) -> list:
    stack = [
        layers.Conv1D(
            m["filters"][i],
            kernel_size=(m["kernel_sizes"][i],),
            activation=m["activations"][i if activation is None else activation],
            name=f"Conv1D_{i + 1}",
        )
    ]
    if max_pooling:
        stack.append(layers.MaxPooling1D(m["pool_sizes"][i], name=f"MaxPooling1D_{i + 1}"))
    return stack


def _dense(layers: Any, m: Mapping[str, Any], depth: int, first_activation: int = 0) -> list:
    # On a 3-D tensor (after a conv) Dense applies per time step, as in the original.
    return [
        layers.Dense(m["units"][i], activation=m["activations"][i + first_activation], name=f"Dense_{i + 1}")
        for i in range(depth)
    ]


# What Keras needs to run an LSTM or GRU layer on the cuDNN kernel on a GPU (the same maths as its
# generic kernel). They are Keras' defaults, which are also the original's templates (ORIGINAL.md:
# "none (Keras defaults)"), so the saved layer configs, the legacy `.h5` and the original
# preset's architectures do not change; they are written out so that no template drifts off it.
CUDNN_RECURRENT = {
    "activation": "tanh",
    "recurrent_activation": "sigmoid",
    "recurrent_dropout": 0.0,
    "unroll": False,
    "use_bias": True,
}
CUDNN_GRU = {"reset_after": True}


def cudnn_eligible(layer_config: Mapping[str, Any], kind: str) -> bool:
    """Whether a saved LSTM or GRU layer config (``layer.get_config()``) runs on cuDNN on a GPU."""
    wanted = {**CUDNN_RECURRENT, **(CUDNN_GRU if kind == "GRU" else {})}
    return all(layer_config.get(key) == value for key, value in wanted.items())


def _recurrent(kind: str) -> Callable[[Any, Mapping[str, Any], int], list]:
    cudnn = {**CUDNN_RECURRENT, **(CUDNN_GRU if kind == "GRU" else {})}

    def stack(layers: Any, m: Mapping[str, Any], depth: int) -> list:
        rnn = getattr(layers, kind)
        return [
            rnn(m["units"][i], return_sequences=i < depth - 1, name=f"{kind}_{i + 1}", **cudnn) for i in range(depth)
        ]

    return stack


def _pool(max_pooling: bool, items: int) -> dict[str, int]:
    return {"pool_sizes": items} if max_pooling else {}


_lstm, _gru = _recurrent("LSTM"), _recurrent("GRU")

FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            "CNN",
            requirements=lambda d, mp: {"filters": d, "kernel_sizes": d, "activations": d, **_pool(mp, d)},
            body=lambda layers, m, d, mp: [
                *(layer for i in range(d) for layer in _conv(layers, m, i, mp)),
                layers.Flatten(name="Flatten_1"),
            ],
            convs=lambda d: d,
            max_pooling=True,
        ),
        Family(
            "DNN",
            requirements=lambda d, mp: {"units": d, "activations": d},
            body=lambda layers, m, d, mp: _dense(layers, m, d),
            reshape=False,
        ),
        Family(
            "CDNN",
            requirements=lambda d, mp: {
                "filters": 1,
                "kernel_sizes": 1,
                "units": d,
                "activations": d + 1,
                **_pool(mp, 1),
            },
            body=lambda layers, m, d, mp: [
                *_conv(layers, m, 0, mp),
                *_dense(layers, m, d, first_activation=1),
                layers.Flatten(name="Flatten_1"),
            ],
            convs=lambda d: 1,
            max_pooling=True,
        ),
        Family(
            "LSTM",
            requirements=lambda d, mp: {"units": d},  # Keras' default activations
            body=lambda layers, m, d, mp: _lstm(layers, m, d),
        ),
        Family(
            "CLSTM",
            requirements=lambda d, mp: {"filters": 1, "kernel_sizes": 1, "units": d, "activations": 1, **_pool(mp, 1)},
            body=lambda layers, m, d, mp: [*_conv(layers, m, 0, mp), *_lstm(layers, m, d)],
            convs=lambda d: 1,
            max_pooling=True,
        ),
        Family(
            "GRU",
            requirements=lambda d, mp: {"units": d},  # Keras' default activations
            body=lambda layers, m, d, mp: _gru(layers, m, d),
        ),
    )
}


def category_names() -> tuple[str, ...]:
    """Every category a batch or a config may have: the families, then the unit test."""
    return (*FAMILIES, UNIT_TEST)


def network_names() -> tuple[str, ...]:
    """The leaderboard's networks: each family, with its max-pooling variant, then the unit test."""
    return (
        *(n for f in FAMILIES.values() for n in ((f.name, f"{f.name}_MP") if f.max_pooling else (f.name,))),
        UNIT_TEST,
    )

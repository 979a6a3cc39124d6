"""Build each given Keras model config once (run in a child process: it starts TensorFlow).

    python -m regressions.engine.architecture_check FILE --lookback N --predictions N

FILE holds a JSON list of ``keras_model`` configs. Reports JSON lines (progress, error, result).
"""

import argparse
import json

from core.child_events import emit
from regressions.engine.architectures import build_model
from regressions.engine.runtime import configure_tensorflow


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--lookback", type=int, required=True)
    parser.add_argument("--predictions", type=int, required=True)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    configure_tensorflow(args.threads)
    import tensorflow as tf  # why: TensorFlow is heavy; only the processes that train or predict load it

    with open(args.file) as handle:
        configs = json.load(handle)
    for done, keras_model in enumerate(configs, start=1):
        try:
            build_model(keras_model, args.lookback, args.predictions)
        except Exception as exc:  # any Keras refusal names the config
            emit(error=f"{keras_model.get('name')} {json.dumps(keras_model)} does not build: {exc}")
            raise SystemExit(1) from None
        tf.keras.backend.clear_session()
        emit(progress=[done, len(configs), f"built {keras_model['name']}"])
    emit(result={"architectures": len(configs)})


if __name__ == "__main__":
    main()

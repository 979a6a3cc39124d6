import io
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from regressions.engine.runtime import TqdmProgress


@pytest.mark.tensorflow
def test_configure_tensorflow_sets_thread_pools_before_tensorflow_starts():
    # A fresh interpreter: this test process has started TensorFlow already.
    script = textwrap.dedent("""
        import os
        from regressions.engine.runtime import TensorFlowConfigError, configure_tensorflow
        configure_tensorflow(1)
        import tensorflow as tf
        tf.constant(1.0) + 1.0  # starts the runtime
        assert tf.config.threading.get_intra_op_parallelism_threads() == 1
        assert tf.config.threading.get_inter_op_parallelism_threads() == 1
        assert os.environ["TF_NUM_INTEROP_THREADS"] == os.environ["OMP_NUM_THREADS"] == "1"
        configure_tensorflow(1)  # same pools again: accepted
        try:
            configure_tensorflow(2)
        except TensorFlowConfigError as exc:
            print("refused:", exc)
    """)
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "refused: TensorFlow already started with (intra, inter) threads (1, 1)" in done.stdout


def test_tqdm_progress_shows_epochs_and_message():
    stream = io.StringIO()
    with TqdmProgress("KR_TEST", file=stream, ascii=True) as progress:
        progress(3, 10, "val_loss 0.1")
    text = stream.getvalue()
    assert "KR_TEST" in text and "3/10" in text and "val_loss 0.1" in text

"""TensorFlow's start-up noise stays out of a job's log; real errors and our own lines stay in."""

import json
import sys

import pytest

from cluster.choices import JobStatus
from cluster.jobs.context import JobContext
from cluster.jobs.noise import StartupNoise
from cluster.jobs.process import run_child
from cluster.models import Job

# Lines TensorFlow 2.15 to 2.17, XLA, absl and Keras print when a training process starts.
NOISE = [
    "2026-12-01 17:42:27.242755: I tensorflow/core/util/port.cc:113] oneDNN custom operations are on. You may see "
    "slightly different numerical results due to floating-point round-off errors from different computation "
    "orders. To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.",
    "2026-12-01 17:42:27.281611: I tensorflow/core/platform/cpu_feature_guard.cc:182] This TensorFlow binary is "
    "optimized to use available CPU instructions in performance-critical operations.",
    "To enable the following instructions: AVX2 AVX512F AVX512_VNNI AVX512_BF16 AVX_VNNI FMA, in other operations, "
    "rebuild TensorFlow with the appropriate compiler flags.",
    "2024-03-05 10:11:12.123456: I external/local_tsl/tsl/cuda/cudart_stub.cc:31] Could not find cuda drivers on "
    "your machine, GPU will not be used.",
    "2024-03-05 10:11:12.234567: E external/local_xla/xla/stream_executor/cuda/cuda_dnn.cc:9261] Unable to register "
    "cuDNN factory: Attempting to register factory for plugin cuDNN when one has already been registered",
    "2024-03-05 10:11:12.234999: E external/local_xla/xla/stream_executor/cuda/cuda_fft.cc:607] Unable to register "
    "cuFFT factory: Attempting to register factory for plugin cuFFT when one has already been registered",
    "2024-03-05 10:11:13.000001: W tensorflow/compiler/tf2tensorrt/utils/py_utils.cc:38] TF-TRT Warning: Could not "
    "find TensorRT",
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1733066478.123456   12345 cuda_executor.cc:1015] successful NUMA node read from SysFS had negative "
    "value (-1), but there must be at least one NUMA node, so returning NUMA node zero.",
    "E0000 00:00:1733066478.223456   12345 cuda_executor.cc:1015] failed call to cuInit: INTERNAL: CUDA error: "
    "Failed call to cuInit: UNKNOWN ERROR (303)",
    "WARNING:tensorflow:From /work/venv/lib/python3.12/site-packages/keras/src/losses.py:2976: The name "
    "tf.losses.sparse_softmax_cross_entropy is deprecated. Please use "
    "tf.compat.v1.losses.sparse_softmax_cross_entropy instead.",
    "",
    "WARNING:absl:You are saving your model as an HDF5 file via `model.save()` or `keras.saving.save_model(model)`. "
    "This file format is considered legacy. We recommend using instead the native Keras format.",
    "/usr/lib/python3/dist-packages/keras/src/layers/core/dense.py:87: UserWarning: Do not pass an "
    "`input_shape`/`input_dim` argument to a layer. When using Sequential models, prefer using an "
    "`Input(shape)` object as the first layer in the model instead.",
    "  super().__init__(activity_regularizer=activity_regularizer, **kwargs)",
]
KEPT = [
    "regression 3f2a: epoch 4 of 5, loss 0.0131",
    "2024-03-05 10:11:14.000001: E tensorflow/core/framework/op_kernel.cc:1827] OP_REQUIRES failed at "
    "strided_slice_op.cc:117 : INVALID_ARGUMENT: slice index 7 of dimension 0 out of bounds.",
    "2024-03-05 10:11:14.000002: F tensorflow/core/common_runtime/bfc_allocator.cc:1090] Check failed: ...",
    "ERROR:tensorflow:Failed to restore the checkpoint",
    "Traceback (most recent call last):",
    '  File "/work/main/regressions/engine/train.py", line 41, in <module>',
    "    model.fit(x, y)",
    "ValueError: Input 0 of layer dense is incompatible with the layer",
    "",
]


def test_startup_noise_is_told_from_real_lines():
    noise = StartupNoise()
    assert [line for line in NOISE + KEPT if not noise(line)] == KEPT


def test_an_indented_line_is_noise_only_below_a_tensorflow_warning():
    noise = StartupNoise()
    assert noise(NOISE[-2]) and noise(NOISE[-1])
    assert not noise('  File "x.py", line 1, in <module>')


@pytest.mark.django_db
def test_a_childs_startup_noise_is_not_logged_and_its_errors_are():
    job = Job.objects.create(kind="cluster.selfcheck", status=JobStatus.RUNNING, claim_token="0" * 32)
    ctx = JobContext(job, str(job.claim_token))
    lines = [*NOISE, *KEPT, json.dumps({"result": {"ok": True}})]
    child = f"import sys; sys.stdout.write({chr(10).join(lines) + chr(10)!r})"
    assert run_child(ctx, [sys.executable, "-c", child]) == {"ok": True}
    ctx.flush()
    logged = [line.split(" ", 1)[1] if " " in line else "" for line in Job.objects.get(pk=job.pk).log_tail.split("\n")]
    assert logged == KEPT

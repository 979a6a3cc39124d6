"""Which TensorFlow build a provisioned server gets, decided from its real status script."""

import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from cluster.remote.status import parse_status, status_script
from cluster.services.provisioning import server_requirements, wants_gpu_build
from core.errors import ApplicationError

NVIDIA_SMI = "#!/bin/sh\necho '0, NVIDIA H100 80GB HBM3, 81559, 3, 0'\necho '1, NVIDIA H100 80GB HBM3, 81559, 3, 7'\n"


def _status(tmp_path: Path, nvidia_smi: str | None):
    """Run the status script in a local shell whose PATH has (or lacks) an nvidia-smi."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if nvidia_smi is not None:
        (bin_dir / "nvidia-smi").write_text(nvidia_smi)
        (bin_dir / "nvidia-smi").chmod(0o755)
    path = f"{bin_dir}:/usr/bin:/bin"
    output = subprocess.run(
        ["sh", "-c", status_script(str(tmp_path))],
        env={"PATH": path},
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout
    return parse_status(output)


def _requirement_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_a_server_with_nvidia_smi_gets_the_gpu_build_of_the_same_version(tmp_path):
    requirements = (Path(settings.BASE_DIR) / "requirements.txt").read_text()
    pinned = [line for line in _requirement_lines(requirements) if line.startswith("tensorflow-cpu==")]
    assert len(pinned) == 1
    version = pinned[0].split("==")[1]
    status = _status(tmp_path, NVIDIA_SMI)
    assert [g.index for g in status.gpus] == [0, 1] and wants_gpu_build(status.gpus)
    gpu = server_requirements(requirements, gpu=wants_gpu_build(status.gpus))
    expected = [
        f"tensorflow[and-cuda]=={version}" if line == pinned[0] else line for line in _requirement_lines(requirements)
    ]
    assert _requirement_lines(gpu) == expected
    assert not any(line.startswith("tensorflow-cpu") for line in _requirement_lines(gpu))


def test_a_server_without_nvidia_smi_keeps_the_cpu_build(tmp_path):
    requirements = (Path(settings.BASE_DIR) / "requirements.txt").read_text()
    if os.path.exists("/usr/bin/nvidia-smi") or os.path.exists("/bin/nvidia-smi"):
        pytest.skip("this machine has a real nvidia-smi on the script's PATH")
    status = _status(tmp_path, None)
    assert status.gpus == () and not wants_gpu_build(status.gpus)
    assert server_requirements(requirements, gpu=False) == requirements


def test_an_nvidia_smi_that_reports_no_gpu_keeps_the_cpu_build(tmp_path):
    status = _status(tmp_path, "#!/bin/sh\necho 'NVIDIA-SMI has failed: no devices were found' >&2\nexit 9\n")
    assert status.gpus == () and not wants_gpu_build(status.gpus)


def test_requirements_without_one_cpu_pin_are_refused_for_a_gpu_server():
    with pytest.raises(ApplicationError, match="found 0 such lines"):
        server_requirements("numpy==1.26.4\ntensorflow==2.15.1\n", gpu=True)
    with pytest.raises(ApplicationError, match="found 2 such lines"):
        server_requirements("tensorflow-cpu==2.15.1\ntensorflow-cpu==2.15.0\n", gpu=True)
    assert (
        server_requirements("tensorflow-cpu==2.15.1  # pinned\n", gpu=True)
        == "tensorflow[and-cuda]==2.15.1  # pinned\n"
    )

"""The GPU requirements are the CPU ones with TensorFlow's GPU build in place of tensorflow-cpu."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _pins(name: str) -> list[str]:
    lines = (REPO / name).read_text().splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def test_the_gpu_install_differs_from_the_cpu_one_only_in_tensorflow():
    cpu, gpu = _pins("requirements.txt"), _pins("requirements-gpu.txt")
    version = next(pin for pin in cpu if pin.startswith("tensorflow-cpu==")).split("==")[1]
    assert f"tensorflow[and-cuda]=={version}" in gpu
    assert not any(pin.startswith("tensorflow-cpu") for pin in gpu)  # never both TF packages
    assert [p for p in cpu if not p.startswith("tensorflow")] == [
        p for p in gpu if not p.startswith("tensorflow")
    ]

import json

import pytest

from scripts import bench


@pytest.mark.slow
def test_quick_benchmark_prints_every_figure(tmp_path, capsys):
    assert bench.main(["--quick", "--workdir", str(tmp_path)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    figures = {r["bench"]: r for r in records}
    assert set(figures) == {
        "machine", "synthetic_images_per_second", "train_images_per_second_demo",
        "train_images_per_second_celeba", "encode_images_per_second_demo",
        "encode_images_per_second_celeba", "encode_peak_rss_mib_celeba",
    }  # fmt: skip
    assert all(r["value"] > 0 for r in records)
    rss = figures["encode_peak_rss_mib_celeba"]
    assert rss["unit"] == "MiB" and rss["images"] == 2_000 and rss["value"] < 2048

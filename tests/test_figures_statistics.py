"""The Radius page's builders: figure with the prior's mode, peaks table, baselines table."""

import json
import math

import numpy as np
import pytest
from scipy import stats

from app.figures import RandomRadii, baseline_rows, radius_overview, radius_summary
from model.analysis.baselines import radius_baselines
from model.analysis.radius import analyze_radius, radii
from model.generation import sample_latents

COUNT, DIM = 500, 16


@pytest.fixture(scope="module")
def vae():
    rng = np.random.default_rng(0)
    mu = rng.normal(size=(COUNT, DIM)).astype(np.float32)
    z = (mu + 0.1 * rng.normal(size=(COUNT, DIM))).astype(np.float32)
    return analyze_radius(z, mu)


@pytest.fixture(scope="module")
def ae():
    return analyze_radius(np.random.default_rng(1).normal(size=(COUNT, DIM)).astype(np.float32))


def test_radius_overview_marks_the_prior_mode_and_serialises(vae):
    uniform = sample_latents("uniform", 200, DIM, 0, limit=1.5)
    baseline = RandomRadii("uniform b=1.5", radii(uniform))
    fig = radius_overview(vae, 0.5, baseline)
    names = [trace.name for trace in fig.data]
    assert names[:2] == ["|z|", "|mu|"]
    assert names[2].startswith("uniform b=1.5 (scaled to 500 points)")
    assert names[3] == f"prior N(0, I): chi, {DIM} dof"
    marks = [shape.x0 for shape in fig.layout.shapes]
    assert marks[-1] == pytest.approx(math.sqrt(DIM - 1))
    assert "prior mode" in fig.layout.annotations[-1].text
    assert json.loads(fig.to_json())["data"]


def test_radius_overview_of_an_ae_draws_z_alone(ae):
    names = [trace.name for trace in radius_overview(ae, 0.25).data]
    assert names == ["|z|", f"prior N(0, I): chi, {DIM} dof"]


def test_radius_overview_bin_width_sets_the_bar_count(vae):
    coarse, fine = (len(radius_overview(vae, w).data[0].x) for w in (1.0, 0.1))
    assert fine > 5 * coarse


def test_radius_summary_rows(vae, ae):
    baseline = RandomRadii("normal s=1", np.array([3.0, 4.0, 4.2]))
    rows = radius_summary(vae, 0.5, baseline, baseline_analytic=4.0)
    assert [row["radii"] for row in rows] == [
        "|z| (data)",
        "|mu| (data)",
        f"prior N(0, I): chi, {DIM} dof",
        "normal s=1",
    ]
    z_row, _, prior, random = rows
    assert z_row["points"] == COUNT
    assert z_row["mean"] == pytest.approx(float(vae.radii_z.mean()), rel=1e-6)
    assert z_row["peak"] % 0.5 == pytest.approx(0.25)  # a bin centre
    assert prior["peak"] == pytest.approx(math.sqrt(DIM - 1))
    assert prior["mean"] == pytest.approx(stats.chi.mean(DIM))
    assert prior["analytic radius"] == pytest.approx(math.sqrt(DIM))
    assert random == {
        "radii": "normal s=1",
        "points": 3,
        "peak": 4.25,
        "mean": pytest.approx(11.2 / 3),
        "analytic radius": 4.0,
    }
    assert [row["radii"] for row in radius_summary(ae, 0.5)] == [
        "|z| (data)",
        f"prior N(0, I): chi, {DIM} dof",
    ]


def test_radius_summary_rejects_a_bad_bin_width(vae):
    with pytest.raises(ValueError, match="bin_width"):
        radius_summary(vae, 0.0)


def test_baseline_rows_cover_every_limit_and_scale():
    baselines = radius_baselines(
        DIM, n=300, seed=0, uniform_limits=(1.0, 2.0), normal_scales=(1.0,)
    )
    rows = baseline_rows(baselines, data_mean=4.0)
    assert [(row["sampler"], row["b or s"]) for row in rows] == [
        ("uniform [-b, b]^d", 1.0),
        ("uniform [-b, b]^d", 2.0),
        ("normal N(0, s²I)", 1.0),
    ]
    assert rows[1]["analytic radius"] == pytest.approx(2 * math.sqrt(DIM / 3))
    assert rows[2]["analytic / data mean"] == pytest.approx(math.sqrt(DIM) / 4.0)
    assert rows[2]["sample mean (300 vectors)"] == pytest.approx(math.sqrt(DIM), rel=0.05)
    with pytest.raises(ValueError, match="data_mean"):
        baseline_rows(baselines, data_mean=0.0)

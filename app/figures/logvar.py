"""The tiny-KL check as a table: logvar range, |z - mu| and radius from z vs from mu."""

from __future__ import annotations

from model.analysis.logvar_stats import LogvarAnalysis


def logvar_table(analysis: LogvarAnalysis) -> list[dict[str, str | float]]:
    """Rows (quantity, value) for st.dataframe, in the order of the studies' table."""
    a = analysis
    band = f"entries with {a.diff_low:g} < |z - mu| < {a.diff_high:g}"
    values = [
        ("latent entries (N x d)", a.entries),
        ("logvar max", a.logvar_max),
        ("logvar min", a.logvar_min),
        ("logvar mean", a.logvar_mean),
        ("max |z - mu|", a.max_abs_diff),
        (band, a.band_count),
        ("radius from z: min", a.radius_z_min),
        ("radius from z: max", a.radius_z_max),
        ("radius from z: mean", a.radius_z_mean),
        ("radius from mu: min", a.radius_mu_min),
        ("radius from mu: max", a.radius_mu_max),
        ("radius from mu: mean", a.radius_mu_mean),
        ("|R_z - R_mu|: mean", a.radius_abs_diff_mean),
        ("|R_z - R_mu|: max", a.radius_abs_diff_max),
        ("|R_z - R_mu| / R_mu: mean", a.radius_rel_diff_mean),
        ("|R_z - R_mu| / R_mu: max", a.radius_rel_diff_max),
    ]
    return [{"quantity": name, "value": float(value)} for name, value in values]

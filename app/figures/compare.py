"""Tables that put several runs side by side."""

from __future__ import annotations

from collections.abc import Mapping

from app.figures.logvar import logvar_table
from model.analysis.logvar_stats import LogvarAnalysis

NO_LOGVAR = "no logvar"
COUNT_QUANTITIES = ("latent entries (N x d)", "entries with")  # shown as whole numbers


def logvar_comparison(named: Mapping[str, LogvarAnalysis | None]) -> list[dict[str, str]]:
    """The logvar table's quantities (rows) for each run (columns), as text for st.dataframe.

    A run without a logvar analysis (an AE) shows "no logvar" in its column.
    """
    if not named:
        raise ValueError("named is empty: no run to compare")
    tables = {
        name: None if analysis is None else logvar_table(analysis)
        for name, analysis in named.items()
    }
    quantities: list[str] = []
    for rows in tables.values():
        for row in rows or []:
            if row["quantity"] not in quantities:
                quantities.append(str(row["quantity"]))
    if not quantities:
        return [{"quantity": "logvar", **{name: NO_LOGVAR for name in named}}]
    values = {
        name: {row["quantity"]: float(row["value"]) for row in rows or []}
        for name, rows in tables.items()
    }
    return [
        {
            "quantity": quantity,
            **{
                name: NO_LOGVAR
                if tables[name] is None
                else _text(quantity, values[name].get(quantity))
                for name in named
            },
        }
        for quantity in quantities
    ]


def _text(quantity: str, value: float | None) -> str:
    if value is None:
        return "–"
    if quantity.startswith(COUNT_QUANTITIES):
        return f"{value:,.0f}"
    return f"{value:.4g}"

"""Pure Plotly figure builders for the dashboard pages (no Streamlit): arrays and results in,
`plotly.graph_objects.Figure` (or table rows for st.dataframe) out."""

from app.figures.attributes import attribute_heatmap
from app.figures.compare import logvar_comparison
from app.figures.components import component_histograms, dominant_table
from app.figures.correlations import correlation_heatmap, pair_scatter_grid
from app.figures.dimensions import dimension_bars
from app.figures.logvar import logvar_table
from app.figures.maps import (
    mark_neighbourhood,
    positions_on_map,
    selected_rows,
    shade_void,
    zoom_sides,
)
from app.figures.projections import explained_variance, kmeans_curve, projection_scatter
from app.figures.radius import RandomRadii, radius_comparison, radius_histogram, sample_radius
from app.figures.radius_summary import baseline_rows, radius_overview, radius_summary
from app.figures.training import training_curves

__all__ = [
    "RandomRadii",
    "attribute_heatmap",
    "baseline_rows",
    "component_histograms",
    "correlation_heatmap",
    "dimension_bars",
    "dominant_table",
    "explained_variance",
    "kmeans_curve",
    "logvar_comparison",
    "logvar_table",
    "mark_neighbourhood",
    "pair_scatter_grid",
    "positions_on_map",
    "projection_scatter",
    "radius_comparison",
    "radius_histogram",
    "radius_overview",
    "radius_summary",
    "sample_radius",
    "selected_rows",
    "shade_void",
    "training_curves",
    "zoom_sides",
]

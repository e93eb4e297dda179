"""zspace dashboard: Streamlit pages, cached loaders and pure Plotly figure builders."""

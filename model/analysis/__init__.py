"""Latent-space statistics and projections: pure functions, arrays in, arrays and tables out."""

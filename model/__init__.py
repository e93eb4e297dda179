"""zspace library: data sets, the studies' VAE/AE models, training, latents and runs."""

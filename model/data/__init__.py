"""Face data sets: sources (synthetic, CelebA, folder), on-disk storage and streaming."""

"""Overview: the run's model, its training, its data set, and how well it reconstructs."""

import streamlit as st

from app import figures, loaders
from app.cards import card
from app.images import download_png, originals_over_reconstructions, reconstruction_picks
from app.session import current_run, require
from model.data.store import INFO_FILE

run = current_run()
require(run, "train")
config, train = run.config, run.stage("train")
st.title(f"Run `{run.name}`")

model_col, data_col = st.columns(2)
with model_col:
    st.subheader("Model")
    metrics = train["metrics"]
    params = metrics["parameters"]
    analysed = (run.stage("analyze") or {}).get("metrics", {})
    active_units = (
        f"{analysed['active_units']} of {config.model.z_dim}"
        if "active_units" in analysed
        else "after `analyze` (Dimensions page)"
    )
    training = (
        {"imported from": ", ".join(metrics["imported_from"].values())}
        if run.imported
        else {
            "epochs": metrics["epochs"],
            "final total / reconstruction / KL loss": (
                f"{metrics['total_loss']:.1f} / {metrics['reconstruction_loss']:.1f} / "
                f"{metrics['kl_loss']:.2f}"
            ),
            "training time": f"{metrics['train_seconds_all_epochs'] / 60:.1f} min",
        }
    )
    card(
        {
            "kind": config.model.kind,
            "architecture": "imported (trained elsewhere)"
            if run.imported
            else "the studies' convolutional (V)AE",
            "KL factor (fact)": f"{config.model.kl_factor:g}"
            if config.model.kind == "vae"
            else "none (AE)",
            "z_dim": config.model.z_dim,
            "image size": f"{config.model.image_size} px",
            "reconstruction loss": "not recorded (imported)"
            if run.imported
            else config.model.reconstruction_loss,
            "parameters (encoder / decoder)": f"{params['encoder']:,} / {params['decoder']:,}",
            **training,
            "active units (Var(mu) > 0.01)": active_units,
            "seed": run.manifest["seed"],
            "code version": run.manifest["code_version"],
        }
    )
with data_col:
    st.subheader("Data set")
    record = run.manifest["dataset"]
    dataset = loaders.run_dataset(run)
    info = dataset.info
    card(
        {
            "name": record["name"],
            "source": info.source.get("kind", "?"),
            "images": f"{info.count:,} ({info.image_size} px)",
            "train / test": f"{len(info.split_range('train')):,} / "
            f"{len(info.split_range('test')):,}",
            "attributes": len(info.binary_attributes) + len(info.continuous_attributes),
            "skipped files": len(info.skipped),
            "metadata": str(dataset.path / INFO_FILE),
        }
    )

st.subheader("Training")
if run.imported:
    st.info("This model was trained elsewhere and imported, so zspace has no training history.")
else:
    st.plotly_chart(figures.training_curves(loaders.history(run)), width="stretch")

st.subheader("Originals above reconstructions")
if loaders.stage_problems(run, "encode"):
    command = run.stage_command("encode")
    st.info(f"Reconstructions appear once the run is encoded: `{command}`")
else:
    rows = info.split_range("test") or info.split_range("train")
    picks = reconstruction_picks(rows)
    codes = loaders.latents(run, "mu")
    grid = originals_over_reconstructions(
        dataset.take(picks), loaders.decoder(run).decode(codes[picks])
    )
    st.image(
        grid,
        caption=f"test images {', '.join(map(str, picks))} (seeds 33 and 44), decoded from "
        f"{loaders.code_name(run)}",
        width="stretch",
    )
    download_png(grid, f"{run.name}_reconstructions.png")

"""The run pipeline: how a run is built from a data set, stage by stage, and kept on disk.

- `runs`: a run's folder and manifest (`ArtifactLayout`, `Run`, the stages' names `STAGES`);
- `stages`: the three stages, train, encode and analyze, each skipped when current;
- `analysis`: what the analyze stage computes, step by step (from `model.analysis`);
- `builds`: several runs built in turn, their progress in `builds.json` (`build_status` reads it);
- `upgrade`: runs and data sets an older zspace wrote, brought up to this one's formats.
"""

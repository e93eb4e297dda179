"""Open every dashboard page with AppTest in a process where TensorFlow, Keras, tf2onnx, onnx,
openTSNE and scikit-learn cannot be imported, as in the serving image; exit 1 naming the page
that fails. `python -m tests.without_tensorflow ARTIFACTS RUN`."""

import importlib.abc
import sys

TRAINING_ONLY = ("tensorflow", "keras", "tf2onnx", "onnx", "openTSNE", "sklearn")


class _Unimportable(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in TRAINING_ONLY:
            raise ModuleNotFoundError(f"{name} is not installed (the serving image lacks it)")


def main(artifacts: str, run: str) -> int:
    sys.meta_path.insert(0, _Unimportable())
    import os

    from streamlit.testing.v1 import AppTest

    from scripts.serve import PAGES, REPO

    os.environ["ZSPACE_ARTIFACTS"] = artifacts
    for page in sorted((REPO / "app" / "views").glob("*.py")):
        at = AppTest.from_file(str(PAGES), default_timeout=120)
        at.query_params["run"] = run
        at.run()
        at.switch_page(f"views/{page.name}").run()
        problems = [e.message for e in at.exception] + [
            w.value for w in at.warning if "ONNX" in w.value or "Error" in w.value
        ]
        print(f"{page.stem}: {problems[0] if problems else 'ok'}", flush=True)
        if problems:
            return 1
    loaded = sorted(name for name in sys.modules if name.split(".")[0] in TRAINING_ONLY)
    print("loaded:", loaded)
    return 1 if loaded else 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))

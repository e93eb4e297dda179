"""Shared test setup: quiet TensorFlow, markers, and small fixtures built on the fly."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds; still runs in CI")
    config.addinivalue_line("markers", "browser: needs Debian's chromium at /usr/bin/chromium")

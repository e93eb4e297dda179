# zspace dashboard on http://localhost:8501. Build and run (Docker or Podman alike):
#   docker build -t zspace .
#   docker run -p 8501:8501 -v zspace-artifacts:/zspace/artifacts zspace
# The default image runs the quick start: at first start (an empty artifacts volume) it renders
# the built-in faces and builds the demo run, then serves while the AE and tiny-KL runs and the
# t-SNE maps are built in the background; later starts serve at once and continue whatever was
# unfinished. A volume holding only runs of your own is served as it is.
#   docker build --target serve -t zspace-serve .
# is the serving image alone: no TensorFlow, for a volume of runs that are already built.
# docs/docker.md has the rest.
FROM python:3.11-slim AS base

ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /zspace
# The artifacts folder belongs to the non-root user (uid 1000), so a named volume is writable
# by it; a bind-mounted host folder must be writable by uid 1000 (or run with --user "$(id -u)").
RUN useradd --uid 1000 --create-home --shell /usr/sbin/nologin zspace \
    && mkdir artifacts && chown zspace:zspace artifacts

# Serving: the dashboard's requirements only (onnxruntime decodes the faces).
FROM base AS serve
COPY requirements-serve.txt .
RUN pip install -r requirements-serve.txt
COPY model/ model/
COPY scripts/ scripts/
COPY app/ app/
# Byte-compiled now, since the non-root user cannot write __pycache__ at run time.
RUN python -m compileall -q model scripts app
USER zspace
VOLUME /zspace/artifacts
# The dashboard's port.
EXPOSE 8501
# Healthy once the dashboard answers.
HEALTHCHECK --interval=30s --timeout=10s --start-period=2m --retries=3 \
    CMD ["python", "-m", "scripts.health", "--port", "8501"]
# Inside the container the server must listen on all interfaces for -p to reach it.
CMD ["python", "-m", "scripts.serve", "--address", "0.0.0.0", "--port", "8501"]

# The default image: serving plus what builds runs (TensorFlow for training and encoding,
# openTSNE and scikit-learn for the analysis), but not TensorFlow's C++ headers (286 MB), which
# only compiling TensorFlow extensions uses.
FROM serve AS full
USER root
ENV TF_CPP_MIN_LOG_LEVEL=3 KERAS_BACKEND=tensorflow
COPY requirements.txt .
RUN pip install -r requirements.txt \
    && rm -r "$(python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/tensorflow/include"
USER zspace
# The first start on an empty volume builds the data set and the demo run before it serves
# (minutes on 2 cores), hence the long start period.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20m --retries=3 \
    CMD ["python", "-m", "scripts.health", "--port", "8501"]
CMD ["python", "-m", "scripts.quickstart", "--quiet", "--address", "0.0.0.0", "--port", "8501"]

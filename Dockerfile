# zspace dashboard. Build: docker build -t zspace .
# Run:   docker run -p 8501:8501 -v "$PWD/artifacts:/zspace/artifacts" zspace
# It runs the quick start: at first start (an empty artifacts volume) it builds the built-in data
# set and the demo run, then serves while the AE and tiny-KL runs and the t-SNE maps are built in
# the background; later starts reuse the volume and continue whatever was unfinished.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 TF_CPP_MIN_LOG_LEVEL=3
WORKDIR /zspace
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY model/ model/
COPY scripts/ scripts/
COPY app/ app/
VOLUME /zspace/artifacts
EXPOSE 8501
# Inside the container the server must listen on all interfaces for -p to reach it.
CMD ["python", "-m", "scripts.quickstart", "--quiet", "--address", "0.0.0.0", "--port", "8501"]

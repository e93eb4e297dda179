# zspace dashboard. Build: docker build -t zspace .
# Run:   docker run -p 8501:8501 -v "$PWD/artifacts:/zspace/artifacts" zspace
# At first start (an empty artifacts volume) it builds the built-in data set, trains and
# analyses the demo run (about 10 minutes on 2 cores), then serves; later starts reuse the volume.
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
CMD ["sh", "-c", "python -m scripts.quickstart --quiet --no-app && python -m scripts.serve --address 0.0.0.0 --port 8501"]

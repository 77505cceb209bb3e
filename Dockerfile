# syntax=docker/dockerfile:1
# Tocsin worker image: `tocsin worker` by default; any `tocsin` command works
# (`docker run tocsin topics`, `docker run -i tocsin produce -`).
# Built by deploy/docker-compose.yml; settings come from TOCSIN_* variables.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- build: wheels for Tocsin and its dependencies, no compiler in the final image
FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY detectors ./detectors
COPY streams ./streams
RUN python -m pip wheel --no-cache-dir --wheel-dir /wheels .

# ---- runtime
FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TOCSIN_METRICS_HOST=0.0.0.0 \
    TOCSIN_METRICS_PORT=9464
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    python -m pip install --no-cache-dir --no-index --find-links /wheels tocsin \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/tocsin --create-home tocsin
# Faust keeps a small data directory in the working directory.
WORKDIR /var/lib/tocsin
USER 10001
EXPOSE 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/metrics' % os.environ['TOCSIN_METRICS_PORT'], timeout=4)"]
ENTRYPOINT ["tocsin"]
CMD ["worker"]

# The collector and the dashboard share one image; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY collector ./collector
COPY analysis ./analysis
COPY dashboard ./dashboard
COPY standin ./standin
RUN pip install . \
    && useradd --system --create-home --home-dir /var/lib/pypi-sentinel sentinel

# Never root: the collector downloads hostile archives (it reads them, it never runs them).
USER sentinel
ENV PYPI_SENTINEL_HOME=/var/lib/pypi-sentinel
WORKDIR /var/lib/pypi-sentinel
ENTRYPOINT ["pypi-sentinel"]
CMD ["run"]

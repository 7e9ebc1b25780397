# syntax=docker/dockerfile:1
# Kefu image: one image, many roles. The compose file picks the role with the command
# (`worker`, `api`, `topics create`); `kefu up` (embedded mode) also works in it.

# --- build: compilers live here only (some pinned deps may ship sdists only) ---
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/kefu
ENV PATH=/opt/kefu/bin:$PATH
WORKDIR /src
# pyproject first is not enough for `pip install .` (setuptools needs the packages), so copy the
# tree; .dockerignore keeps tests, venvs and VCS data out of the context.
COPY . .
RUN pip install .

# --- runtime ---
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/kefu/bin:$PATH \
    KEFU_DATA_DIR=/var/lib/kefu \
    KEFU_HTTP_HOST=0.0.0.0 \
    KEFU_HTTP_PORT=8080
# Fixed uid/gid so named volumes keep the same owner across image rebuilds.
RUN groupadd --system --gid 10001 kefu \
    && useradd --system --uid 10001 --gid kefu --home-dir /var/lib/kefu --shell /usr/sbin/nologin kefu \
    && mkdir -p /var/lib/kefu \
    && chown kefu:kefu /var/lib/kefu
COPY --from=build /opt/kefu /opt/kefu
USER kefu
WORKDIR /var/lib/kefu
# /var/lib/kefu exists and is owned by kefu, so a fresh named volume mounted there inherits that owner.
# 8080: HTTP API (and its /metrics); 9102: worker /metrics.
EXPOSE 8080 9102
ENTRYPOINT ["kefu"]
CMD ["status"]

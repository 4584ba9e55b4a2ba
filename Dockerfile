# Production image of the Flask app (docs/image.md).
#
# - Builds with the legacy builder (DOCKER_BUILDKIT=0): no BuildKit-only syntax.
# - The build needs no network: `make build` first downloads the wheels pinned in
#   requirements-app.txt into .build/wheels, for the base image's Python (3.11).
# - BASE_IMAGE: any Debian-like image with python3 and its venv module, e.g. the
#   local bookworm image that `make test-image` bootstraps.

ARG BASE_IMAGE=python:3.11.13-slim-bookworm@sha256:86adf8dbadc3d6e82ee5dd2c74bec2e1c2467cdad47886280501df722372d2e1

# ---- build: a venv with the pinned runtime packages, then pip itself removed ----
FROM ${BASE_IMAGE} AS build
WORKDIR /build
COPY requirements-app.txt ./
COPY .build/wheels/ /build/wheels/
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/python -m pip install --no-cache-dir --no-index --find-links=/build/wheels \
        --only-binary=:all: -r requirements-app.txt \
    && /opt/venv/bin/python -m pip uninstall --yes pip setuptools \
    && /opt/venv/bin/gunicorn --version
COPY app/ /srv/app/
RUN /opt/venv/bin/python -m compileall -q /srv/app

# ---- runtime: the venv and the app, run as a non-root numeric user ----
FROM ${BASE_IMAGE}
ARG APP_VERSION=dev
LABEL org.opencontainers.image.title="flask-app" \
      org.opencontainers.image.revision="${APP_VERSION}"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    APP_VERSION=${APP_VERSION}
COPY --from=build /opt/venv /opt/venv
COPY --from=build /srv/app /srv/app
WORKDIR /srv
USER 10001:10001
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
    CMD ["python", "-m", "app.healthcheck"]
STOPSIGNAL SIGTERM
CMD ["gunicorn", "--config", "python:app.gunicorn_conf", "app.wsgi:app"]

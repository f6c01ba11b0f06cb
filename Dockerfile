# syntax=docker/dockerfile:1
# mutaika, the 無害化 mail gateway:   docker build -t mutaika .
# The build stage makes a virtualenv holding mutaika and its dependencies (all from wheels); the
# final stage is the same slim base plus libmagic, tini and that virtualenv, run as an
# unprivileged user. Sources, build backends and pip's cache stay in the build stage.
# The base is pinned by its full version tag: bump it deliberately (and rebuild for Debian's
# security updates).
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY gateway ./gateway
RUN python -m venv /opt/mutaika/venv \
 && /opt/mutaika/venv/bin/pip install --no-cache-dir .

FROM ${PYTHON_IMAGE}
# Debian's own libmagic1 and tini from the pinned base's release; their versions move only
# with Debian's security updates, so they are not pinned here.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libmagic1 tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10025 mutaika \
 && useradd --system --uid 10025 --gid mutaika --home-dir /var/lib/mutaika \
      --shell /usr/sbin/nologin mutaika \
 && install -d -o mutaika -g mutaika -m 0750 /var/lib/mutaika /var/spool/mutaika
COPY --from=build /opt/mutaika/venv /opt/mutaika/venv
COPY config/gateway.example.toml /etc/mutaika/gateway.example.toml

# Paths inside the two volumes. Inside a container mutaika listens on every interface of the
# container's own network namespace; nothing is reachable from outside until a port is
# published (compose.yaml publishes on 127.0.0.1 unless told otherwise).
# A site file goes to /etc/mutaika/gateway.toml with MUTAIKA_CONFIG=/etc/mutaika/gateway.toml;
# the variables below win over the same keys in that file.
ENV PATH=/opt/mutaika/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MUTAIKA_DATA_DIR=/var/lib/mutaika \
    MUTAIKA_SPOOL__DIRECTORY=/var/spool/mutaika \
    MUTAIKA_DELIVERY__MAILDIR=/var/lib/mutaika/maildir \
    MUTAIKA_SMTP__HOST=0.0.0.0 \
    MUTAIKA_API__HOST=0.0.0.0
# Fail the build, not the first mail, when libmagic or a dependency cannot be loaded.
RUN python -c "import magic, gateway.cli; assert magic.from_buffer(b'%PDF-1.4')" \
 && mutaika check-config >/dev/null

USER 10025:10025
WORKDIR /var/lib/mutaika
VOLUME ["/var/lib/mutaika", "/var/spool/mutaika"]
EXPOSE 2525 8025
# /readyz: 200 when the spool and the quarantine can take mail, 503 (and the reason) when not.
# The slim image has no curl; Python's urllib raises on anything but 2xx, so the exit code is 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('MUTAIKA_API__PORT', '8025'), timeout=4)"]
STOPSIGNAL SIGTERM
# tini as PID 1: forwards SIGTERM to the supervisor and reaps any orphaned child.
ENTRYPOINT ["tini", "--", "mutaika"]
CMD ["serve"]

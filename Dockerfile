# Shequn: docker build -t shequn . && docker run -e SHEQUN_TELEGRAM__TOKEN=... -v shequn-data:/data shequn
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SHEQUN_DATA_DIR=/data \
    SHEQUN_HTTP__HOST=0.0.0.0

WORKDIR /app
COPY requirements.lock pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY faq ./faq
COPY storage ./storage
# The lock pins every dependency; the project itself installs without resolving again.
RUN pip install -r requirements.lock && pip install --no-deps . \
    && useradd --create-home --uid 10001 shequn && mkdir -p /data && chown shequn /data

USER shequn
VOLUME ["/data"]
# The web server (webhooks, the console, /healthz, /readyz, /metrics; SHEQUN_HTTP__PORT).
# It listens on 0.0.0.0 above: in a container 127.0.0.1 is unreachable from outside,
# even through a published port; publish it on the host's loopback behind a proxy.
EXPOSE 8080
ENTRYPOINT ["shequn"]
CMD ["run"]

# Shequn: docker build -t shequn . && docker run -e SHEQUN_TELEGRAM__TOKEN=... -v shequn-data:/data shequn
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SHEQUN_DATA_DIR=/data

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
# Webhook mode listens here (SHEQUN_TELEGRAM__WEBHOOK__PORT).
EXPOSE 8443
ENTRYPOINT ["shequn"]
CMD ["run"]

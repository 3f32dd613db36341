# Skim: a Telegram bot that reads so its users don't have to.
# Build: docker build -t skim .   Run: docker run --env-file .env skim   (see docs/deploy.md)

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/skim
COPY requirements.lock ./
RUN /opt/skim/bin/pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
RUN /opt/skim/bin/pip install --no-deps .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 --user-group --shell /usr/sbin/nologin skim
COPY --from=build /opt/skim /opt/skim
ENV PATH=/opt/skim/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    METRICS_LISTEN=0.0.0.0:9100
USER 10001:10001
WORKDIR /home/skim
EXPOSE 8080 9100
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
    CMD ["python", "-m", "bot.healthcheck"]
STOPSIGNAL SIGTERM
CMD ["skim", "run"]

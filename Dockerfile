# Production image of the Varsel portal. A plain mirror of the Makefile's install steps:
# tests/test_packaging.py checks that every file and command named here exists.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VARSEL_DATA_DIR=/data \
    VARSEL_SECURE_COOKIES=1

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin varsel
WORKDIR /app

COPY pyproject.toml setup.py README.md ./
COPY crypto ./crypto
COPY portal ./portal
COPY inbox ./inbox
COPY report_form ./report_form
COPY templates ./templates
COPY static ./static
COPY babel.cfg ./
# The browser path's libsodium from the npm registry, pinned by package-lock.json, placed
# under static/vendor/ (scripts/vendor-js.sh); node itself does not stay in the image.
COPY package.json package-lock.json ./
COPY scripts/vendor-js.sh ./scripts/
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm \
    && scripts/vendor-js.sh && rm -rf node_modules \
    && apt-get purge -y nodejs npm && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
# A plain install: the wheel carries templates, static files and compiled catalogues.
RUN pip install --no-cache-dir '.[postgres]' \
    && mkdir -p /data && chown varsel /data

USER varsel
VOLUME ["/data"]
EXPOSE 8000

# portal/gunicorn_conf.py: no access log (it would name client addresses), no Server banner.
CMD ["gunicorn", "--config", "python:portal.gunicorn_conf", "portal:create_app()"]

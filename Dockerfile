# The platform's production image: gunicorn for the web, the same image for Celery's worker and
# beat. Two stages: the first builds the wheel (code, templates, static sources, compiled
# translations, migrations); the second installs the locked dependencies, then the wheel, and
# holds nothing else of the source tree (no tests, no manage.py).

FROM python:3.11-slim-bookworm AS wheel
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY . .
RUN pip wheel --no-deps --wheel-dir /dist .

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/var/media

# Pango for the PDF attestations (WeasyPrint), with HarfBuzz's subsetter (WeasyPrint warns at
# every start without it).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 tilab

# The dependency layer: rebuilt only when the lock changes, not when the code does.
COPY requirements.lock /tmp/requirements.lock
RUN pip install --require-hashes --no-deps -r /tmp/requirements.lock \
    && rm /tmp/requirements.lock

COPY --from=wheel /dist/ /tmp/dist/
RUN pip install --no-deps /tmp/dist/*.whl && rm -rf /tmp/dist

WORKDIR /app
# Static files are collected at build time with a throwaway key; nothing secret is baked in.
RUN DEBUG=False SECRET_KEY=build-only-not-secret django-admin collectstatic --noinput \
    && mkdir -p /app/var/media && chown -R tilab:tilab /app/var

USER tilab
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --retries=3 CMD ["python", "-m", "tilab_site.healthcheck"]
# Bind, workers and timeout from GUNICORN_* in .env; JSON access lines naming the client
# (config/gunicorn.py).
CMD ["gunicorn", "-c", "python:config.gunicorn", "config.wsgi"]

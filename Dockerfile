# The platform's production image: gunicorn for the web, the same image for Celery.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 tilab

WORKDIR /app
COPY pyproject.toml README.md ./
COPY tilab/ tilab/
COPY fablabs/ fablabs/
COPY makers/ makers/
COPY subsidies/ subsidies/
COPY workshops/ workshops/
RUN pip install .
COPY . .

# Static files are collected at build time with a throwaway key; nothing secret is baked in.
RUN DEBUG=False SECRET_KEY=build-only-not-secret python manage.py collectstatic --noinput \
    && python manage.py compilemessages -l en -l fr --ignore=.venv \
    && mkdir -p /app/var && chown -R tilab:tilab /app/var

USER tilab
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "30", \
     "--access-logfile", "-"]

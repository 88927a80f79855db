# Production image: the app under gunicorn, static files served by whitenoise.
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    PATH="/opt/venv/bin:$PATH"

RUN pip install --no-cache-dir uv \
    && useradd --system --create-home --home-dir /home/parallax parallax

WORKDIR /app
COPY pyproject.toml uv.lock .python-version ./
RUN uv sync --frozen --no-dev --no-install-project --python /usr/local/bin/python3.12

COPY . .
# collectstatic needs settings to import; these values exist only for this build step.
RUN PARALLAX_ENV=production SECRET_KEY=build-only ALLOWED_HOSTS=build \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py collectstatic --no-input \
    && rm -f /tmp/build.sqlite3

# The media volume is created from this folder, owned by the app's user (bulk uploads).
RUN mkdir -p /app/data/media && chown parallax /app/data/media

USER parallax
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--access-logfile", "-"]

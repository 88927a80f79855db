"""The deployment: docker-compose.yml's services are checked, wait for what they
need, build one image once; /healthz answers container health checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import OperationalError

ROOT = Path(__file__).resolve().parents[2]


def services() -> dict[str, str]:
    """Each service's block of docker-compose.yml, by name (two-space indented keys
    under `services:`)."""
    text = (ROOT / "docker-compose.yml").read_text()
    body = text.split("\nservices:\n", 1)[1].split("\nvolumes:\n", 1)[0]
    blocks: dict[str, str] = {}
    name = None
    for line in body.splitlines():
        match = re.match(r"^  ([a-z_]+):\s*$", line)
        if match:
            name = match.group(1)
            blocks[name] = ""
        elif name:
            blocks[name] += line + "\n"
    return blocks


def test_every_long_running_service_has_a_healthcheck():
    s = services()
    assert set(s) == {"db", "redis", "migrate", "web", "worker"}
    for name in ("db", "redis", "web", "worker"):
        assert "healthcheck:" in s[name], name
    assert "/healthz" in s["web"]
    assert "recover_import_jobs" in s["worker"]


def test_web_and_worker_wait_for_a_healthy_database_redis_and_the_migration():
    s = services()
    for name in ("web", "worker"):
        block = s[name]
        assert re.search(r"db:\s*\n\s*condition: service_healthy", block), name
        assert re.search(r"migrate:\s*\n\s*condition: service_completed_successfully", block)
        assert re.search(r"redis:\s*\n\s*condition: service_healthy", block), name


def test_redis_has_a_memory_ceiling_and_evicts():
    redis = services()["redis"]
    assert "--maxmemory\n" in redis and "--maxmemory-policy\n" in redis
    assert "allkeys-lru" in redis


def test_one_image_built_once_and_the_statement_timeout_only_on_web():
    s = services()
    assert [name for name, block in s.items() if "build:" in block] == ["migrate"]
    for name in ("migrate", "web", "worker"):
        assert "image: *app-image" in s[name], name
    for name in ("web", "worker"):
        assert "pull_policy: never" in s[name]
    assert [n for n, b in s.items() if "DATABASE_STATEMENT_TIMEOUT_MS" in b] == ["web"]
    # Management commands run in `migrate`, which has the backups directory.
    assert "/backups" in s["migrate"]


def test_web_and_worker_share_the_uploads_volume():
    s = services()
    for name in ("web", "worker"):
        assert "- media:/app/data/media" in s[name], name
    assert "\n  media:" in (ROOT / "docker-compose.yml").read_text().split("\nvolumes:\n")[-1]
    # The settings' default MEDIA_ROOT (BASE_DIR is /app in the image) is where the
    # volume is mounted. (Tests run with a MEDIA_ROOT of their own: read the source.)
    assert 'BASE_DIR / "data" / "media"' in (ROOT / "config" / "settings.py").read_text()
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "chown parallax /app/data/media" in dockerfile


def test_the_documented_restore_steps_include_everything_restore_needs():
    docs = (ROOT / "docs" / "scaling.md").read_text()
    steps = docs.split("### Restore", 1)[1].split("\n## ", 1)[0]
    for needed in ("migrate", "createcachetable", "restore", "--force", "docker compose stop"):
        assert needed in steps, needed


@pytest.mark.django_db
def test_healthz_answers_before_host_checks_and_redirects(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["parallax.example.org"]
    response = client.get("/healthz", headers={"Host": "10.1.2.3:8000"})
    assert response.status_code == 200 and response.content == b"ok"
    # Everything else still goes through them.
    assert client.get("/", headers={"Host": "10.1.2.3:8000"}).status_code == 400


def test_healthz_says_503_when_the_database_does_not_answer(client, monkeypatch):
    from django.db import connections

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["default"], "cursor", refuse)
    assert client.get("/healthz").status_code == 503

from __future__ import annotations

import pytest

from champions import create_app
from config import ConfigError, load_config


def test_security_headers_on_pages_and_errors(client):
    for url, status in [("/", 200), ("/no-such-page", 404), ("/staff", 302)]:
        response = client.get(url)
        assert response.status_code == status
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_scripts(client):
    html = client.get("/register").get_data(as_text=True)
    assert "<script>" not in html and "<script " in html
    assert all("src=" in tag for tag in html.split("<script")[1:])


def test_a_server_error_shows_a_friendly_page_without_a_trace(app):
    app2 = create_app("testing")
    app2.config["PROPAGATE_EXCEPTIONS"] = False

    @app2.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    from champions.core.permissions import PUBLIC

    app2.extensions["features"].access["boom"] = PUBLIC
    response = app2.test_client().get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in body
    assert "secret internals" not in body and "Traceback" not in body
    assert "Content-Security-Policy" in response.headers


def test_forms_need_a_csrf_token(app):
    strict = create_app("testing", WTF_CSRF_ENABLED=True)
    client = strict.test_client()
    response = client.post("/login", data={"email": "a@example.org", "password": "whatever123"})
    assert response.status_code == 400
    assert "The form had expired" in response.get_data(as_text=True)


def test_session_cookie_flags_outside_development(monkeypatch):
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "SMTP_HOST"):
        monkeypatch.setenv(name, "x" if name != "DATABASE_URL" else "postgresql://u@h/db")
    config = load_config("production")
    assert config.SESSION_COOKIE_SECURE and config.SESSION_COOKIE_HTTPONLY
    assert config.SESSION_COOKIE_SAMESITE == "Lax"
    assert config.SQLALCHEMY_DATABASE_URI.startswith("postgresql+psycopg://")


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "SMTP_HOST"])
def test_production_refuses_to_start_without_its_settings(monkeypatch, missing):
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "SMTP_HOST"):
        monkeypatch.setenv(name, "postgresql://u@h/db" if name == "DATABASE_URL" else "x")
    monkeypatch.delenv(missing)
    with pytest.raises(ConfigError) as error:
        load_config("production")
    message = str(error.value)
    assert missing in message and "\n" not in message


def test_development_default_is_an_embedded_stack(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "REDIS_URL", "SMTP_HOST", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CHAMPIONS_INSTANCE_DIR", str(tmp_path))
    config = load_config("development")
    assert config.SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path / 'champions.sqlite'}"
    assert config.CELERY["broker_url"] == f"sqla+sqlite:///{tmp_path / 'celery-broker.sqlite'}"
    assert config.MAIL_BACKEND == "outbox"
    assert config.SESSION_COOKIE_SECURE is False
    # The development secret is generated once and kept.
    assert load_config("development").SECRET_KEY == config.SECRET_KEY


def test_an_unknown_environment_name_is_a_clear_error():
    with pytest.raises(ConfigError, match="CHAMPIONS_ENV must be one of"):
        load_config("staging")

def test_healthz_says_the_process_is_up_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_checks_the_database_and_the_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": True, "broker": True}


def test_readyz_reports_an_unreachable_broker(app):
    from champions import create_app
    from config import load_config

    config = load_config("testing")
    config.CELERY = {**config.CELERY, "broker_url": "redis://127.0.0.1:1/0", "task_always_eager": False}
    response = create_app(config).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["broker"] is False and response.json["database"] is True

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


def test_the_footer_opens_a_status_page_in_words(client):
    home = client.get("/").get_data(as_text=True)
    assert 'href="/status">Service status' in home and 'href="/healthz"' not in home
    page = client.get("/status")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "Champions is working" in html and "Saving and reading information" in html and "Working" in html


def test_the_status_page_says_which_part_is_delayed(app):
    from champions import create_app
    from config import load_config

    config = load_config("testing")
    config.CELERY = {**config.CELERY, "broker_url": "redis://127.0.0.1:1/0", "task_always_eager": False}
    html = create_app(config).test_client().get("/status").get_data(as_text=True)
    assert "Some parts of Champions are slow" in html and "Delayed" in html and "Champions is working" not in html

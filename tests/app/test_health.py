def test_health(client):
    r = client.get("/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_home_in_both_languages(client):
    assert "CNN Playground" in client.get("/?lang=en").text
    r = client.get("/?lang=zh")
    assert "卷积神经网络演练场" in r.text and r.cookies.get("lang") == "zh"

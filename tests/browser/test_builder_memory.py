"""The builder on /learn shows the memory a run would need (the server's figures), follows the batch
size, and shows the refusal of a network above the budget; in English and Chinese. Screenshot at
1280x720: screenshots/learn-builder-memory.png."""

import re

from playwright.sync_api import expect

from tests.browser.helpers import shoot

HEAVY = "conv:64:3:1:1,conv:64:3:1:1,conv:64:3:1:1,conv:64:3:1:1,flatten,dense:10"
HEAVY_LAYERS = [{"type": "conv", "filters": 64, "kernel": 3, "stride": 1, "padding": 1}] * 4 + [
    {"type": "flatten"},
    {"type": "dense", "units": 10},
]


def shown(value: float) -> str:
    """A number as the page's toLocaleString("en") writes it: 1,024 and 17.7."""
    return f"{value:,.1f}".removesuffix(".0")


def api(page, base, lang="en", **body):
    r = page.request.post(f"{base}/api/networks/check?lang={lang}", data=body)
    assert r.ok, r.text()
    return r.json()


def test_the_builder_shows_the_servers_memory_figures(page, live_server, console_errors):
    page.goto(f"{live_server}/learn?lang=en&preset=lenet5&batch=64")
    memory = page.locator("#network-memory")
    expect(memory).to_be_visible()
    expect(memory).to_contain_text("Memory at a batch size of 64")
    answer = api(page, live_server, preset="lenet5", batch_size=64, optimizer="momentum")["memory"]
    text = memory.inner_text()
    assert f"about {shown(answer['train_mb'])} MB to train" in text, text
    assert f"{shown(answer['eval_mb'])} MB to evaluate" in text and f"allows {shown(answer['budget_mb'])} MB" in text
    assert float(memory.get_attribute("data-train-mb")) == answer["train_mb"]
    expect(memory).not_to_have_class(re.compile("over"))
    # Another batch size and optimizer: the figure follows, still from the server.
    page.fill("#batch", "256")
    page.select_option("#optimizer", "adam")
    answer = api(page, live_server, preset="lenet5", batch_size=256, optimizer="adam")["memory"]
    expect(memory).to_contain_text(f"about {shown(answer['train_mb'])} MB to train")
    expect(memory).to_contain_text("batch size of 256")
    assert console_errors == []


def test_a_network_above_the_budget_is_refused_with_the_estimate(page, live_server, console_errors):
    page.goto(f"{live_server}/learn?lang=en&preset=&layers={HEAVY}&batch=1024")
    answer = api(page, live_server, layers=HEAVY_LAYERS, batch_size=1024, optimizer="momentum")
    assert answer["error"]["code"] == "too_much_memory"
    memory, problem = page.locator("#network-memory"), page.locator("#network-error")
    expect(problem).to_have_text(answer["error"]["detail"])
    expect(memory).to_have_class(re.compile("over"))
    expect(memory).to_contain_text(f"about {shown(answer['memory']['train_mb'])} MB to train")
    assert f"about {shown(answer['memory']['train_mb'])} MB to train" in answer["error"]["detail"]  # one figure
    expect(page.locator("#start")).to_be_disabled()
    page.locator("#layers .layer").first.scroll_into_view_if_needed()
    problem.scroll_into_view_if_needed()
    shoot(page, "learn-builder-memory.png")
    # A smaller batch fits: the refusal goes, Start comes back.
    page.fill("#batch", "64")
    fits = api(page, live_server, layers=HEAVY_LAYERS, batch_size=64, optimizer="momentum")
    assert fits["ok"]
    expect(memory).to_contain_text(f"about {shown(fits['memory']['train_mb'])} MB to train")
    expect(problem).to_be_hidden()
    expect(memory).not_to_have_class(re.compile("over"))
    expect(page.locator("#start")).to_be_enabled()
    assert console_errors == []


def test_the_memory_line_and_the_refusal_in_chinese(page, live_server, console_errors):
    page.goto(f"{live_server}/learn?lang=zh&preset=&layers={HEAVY}&batch=1024")
    answer = api(page, live_server, "zh", layers=HEAVY_LAYERS, batch_size=1024, optimizer="momentum")
    expect(page.locator("#network-error")).to_have_text(answer["error"]["detail"])
    assert "批大小为 1024" in answer["error"]["detail"]
    memory = page.locator("#network-memory")
    expect(memory).to_contain_text(f"训练大概需要 {shown(answer['memory']['train_mb'])} MB")
    expect(memory).to_contain_text("本服务器每次训练最多允许 1,024 MB")
    page.locator("#network-error").scroll_into_view_if_needed()
    shoot(page, "learn-builder-memory-zh.png")
    assert console_errors == []

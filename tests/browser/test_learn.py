"""The learning pages in a real browser against a real uvicorn: the backprop walkthrough shows the
notes' numbers, a training run on the bundled sample moves its charts and finishes, two pages
watching one run see the same events, the controls work, the builder explains an impossible
network, presenter mode and both languages, and no console errors. Screenshots at 1280x720 go to
screenshots/."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import serve, shoot

DIGITS = 5e-10  # "to 9 decimals"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """uvicorn on a free port; runs train on the real bundled sample, two at a time; models saved to a temp dir."""
    from app.deps import get_model_store
    from app.main import create_app
    from app.model_store import ModelStore
    from app.runs.deps import dataset_loader, get_run_registry
    from app.runs.local import LocalRunRegistry

    registry = LocalRunRegistry(
        dataset_loader(None), tmp_path_factory.mktemp("state"), max_concurrent=2, max_runs_per_client=10
    )  # (every page here is one client)
    store = ModelStore(tmp_path_factory.mktemp("models"))
    app = create_app()
    app.dependency_overrides[get_run_registry] = lambda: registry
    app.dependency_overrides[get_model_store] = lambda: store
    with serve(app) as base:
        yield base, registry, store
        registry.close()
        registry.wait_idle(20)


def number(text: str) -> float:
    return float(text.replace("−", "-"))


# ---- the backprop walkthrough ------------------------------------------------------------------------


def test_walkthrough_shows_every_number_of_the_notes(page, server, textbook, console_errors):
    base = server[0]
    case = textbook["backprop_walkthrough"]
    page.goto(f"{base}/learn/backprop?lang=en&digits=10")
    expect(page.locator(".player-counter")).to_have_text("Step 1 of 26")
    page.keyboard.press("End")
    expect(page.locator(".player-counter")).to_have_text("Step 26 of 26")
    shown = {
        el.get_attribute("data-value-id"): number(el.inner_text()) for el in page.locator("#bp-ledger .bp-value").all()
    }
    expected = {"a11": case["forward"]["a11"], "y": case["forward"]["y"], "J": case["loss"]}
    expected.update({f"dJ_d{k}": v for k, v in case["gradients"].items() if k != "notes_rounded"})
    expected.update({f"{k}_new": v for k, v in case["after_one_step"].items() if k != "notes_rounded"})
    for key, value in expected.items():
        assert shown[key] == pytest.approx(value, abs=DIGITS), key
    # Every chain-rule factor is on the page, with its formula.
    ledger = page.locator("#bp-ledger").inner_text()
    for line in (
        "∂J/∂y = y − label",
        "∂y/∂z₂ = ReLU′(z₂)",
        "∂z₂/∂w₂₁ = a₁₁",
        "∂z₂/∂a₁₁ = w₂₁",
        "∂a₁₁/∂z₁ = a₁₁ · (1 − a₁₁)",
        "∂z₁/∂w₁₁ = x₁",
        "∂J/∂w₁₁ = ∂J/∂y · ∂y/∂z₂ · ∂z₂/∂a₁₁ · ∂a₁₁/∂z₁ · ∂z₁/∂w₁₁",
    ):
        assert line in ledger, line
    assert console_errors == []


def test_walkthrough_in_the_notes_decimals_stepped_by_keys(page, server, textbook, console_errors):
    base = server[0]
    rounded = textbook["backprop_walkthrough"]
    page.goto(f"{base}/learn/backprop?lang=en")
    current = page.locator("#bp-current")
    expect(current).to_contain_text("z₁ = x₁ · w₁₁ + b₁ = 1 · 0.5 + 0.5 = 1")
    page.keyboard.press("ArrowRight")
    expect(current).to_contain_text(f"a₁₁ = σ(z₁) = σ(1) = {rounded['forward']['notes_rounded']['a11']}")
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    expect(current).to_contain_text(f"= {rounded['gradients']['notes_rounded']['w21']}".replace("-", "−"))
    expect(page.locator(".slot.current")).to_have_text("∂J/∂w₂₁ = −0.197")  # the diagram shows it too
    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")  # y after the update, with the notes' 1.775 explained
    expect(current).to_contain_text("ReLU(1.774) = 1.774")
    expect(current).to_contain_text("The notes write y = 1.775")
    for key, value in rounded["after_one_step"]["notes_rounded"].items():
        if key != "y":
            assert page.locator(f"[data-value-id='{key}_new']").inner_text() == f"{value:g}"
    shoot(page, "backprop-walkthrough.png")
    # "One more step" (the N key) repeats the update and plots the loss.
    loss_line = page.locator("#bp-chart path.chart-line")
    expect(loss_line).to_have_attribute("data-points", "2")
    page.keyboard.press("n")
    expect(page.locator("#bp-updates")).to_contain_text("update 2")
    expect(loss_line).to_have_attribute("data-points", "3")
    page.click("#bp-more")
    expect(loss_line).to_have_attribute("data-points", "4")
    assert "updates=2" in page.url
    # Edited values go to the server: a dead ReLU stops every gradient.
    page.fill("#bp-b2", "-5")
    page.keyboard.press("End")
    expect(page.locator("[data-value-id='dJ_dw11']")).to_have_text("0")
    expect(loss_line).to_have_attribute("data-points", "2")  # new starting values: training starts again
    assert console_errors == []


def test_walkthrough_presenter_and_chinese(page, server, console_errors):
    base = server[0]
    page.goto(f"{base}/learn/backprop?lang=zh&step=8")
    expect(page.locator("h1")).to_have_text("反向传播，逐个数字")
    expect(page.locator("#bp-current")).to_contain_text("链式法则")
    page.click("[data-presenter-toggle]")
    expect(page.locator("html")).to_have_class("presenter")
    expect(page.locator("#bp-values")).to_be_hidden()  # the strip keeps "one more step", not the starting values
    expect(page.locator("#bp-more")).to_be_visible()
    shoot(page, "backprop-presenter-zh.png")
    assert console_errors == []


def test_walkthrough_bad_input_is_explained(page, server, console_errors):
    page.goto(f"{server[0]}/learn/backprop?lang=en")
    page.fill("#bp-lr", "fast")
    expect(page.locator("#alerts")).to_contain_text("learning rate")
    expect(page.locator("#bp-lr")).to_have_class(re.compile("invalid"))
    page.fill("#bp-lr", "0.1")
    expect(page.locator("#alerts")).to_be_hidden()
    assert all("422" in e for e in console_errors), console_errors  # only the browser's notes of the 422


# ---- live training ------------------------------------------------------------------------------------


def wait_done(page, timeout=90_000):
    page.wait_for_function("() => document.querySelector('#run-state').dataset.state === 'done'", timeout=timeout)


def test_a_run_on_the_sample_moves_its_charts_and_finishes(page, server, console_errors):
    base = server[0]
    page.goto(f"{base}/learn?lang=en&preset=lenet5&epochs=1")
    expect(page.locator("#layers .layer")).to_have_count(12)
    expect(page.locator("#network-total")).to_contain_text("61,706")
    # the data menu's counts are the bundled sample's own (not a number written into the catalogue)
    from engine.data import load_sample

    sample = load_sample()
    expect(page.locator("#dataset option[value=sample]")).to_have_text(
        f"sample ({sample.num_train:,} + {sample.num_test:,})"
    )
    # every empty panel says when it fills
    empty = page.locator(".run-grid .panel-empty")
    expect(empty).to_have_count(6)
    for k in range(6):
        expect(empty.nth(k)).to_be_visible()
    expect(empty.nth(4)).to_contain_text("at the end of each epoch")
    page.click("#start")
    expect(page).to_have_url(re.compile(r"run=[0-9a-f]+"))
    line = page.locator("#loss-chart path[data-series='train']")
    seen = set()
    deadline = time.monotonic() + 90
    while page.locator("#run-state").get_attribute("data-state") != "done":
        assert time.monotonic() < deadline, "the run did not finish"
        seen.add(int(line.get_attribute("data-points") or 0))
        if len(seen) == 3:
            shoot(page, "learn-training.png")
        time.sleep(0.05)
    assert len({n for n in seen if n > 0}) >= 3, seen  # the chart grew while we watched
    expect(page.locator("#run-state")).to_have_text("Finished")
    result = page.locator("#run-result").inner_text()
    accuracy = float(re.search(r"Final model's test accuracy: ([\d.]+)%", result).group(1))
    assert accuracy >= 90  # LeNet-5, one epoch of the sample
    # the other test accuracy on screen says which it is: the one measured at the end of epoch 1
    expect(page.locator("#run-numbers dd[data-key='val']")).to_have_text(re.compile(r"[\d.]+% \(end of epoch 1\)"))
    for k in range(6):
        expect(page.locator(".run-grid .panel-empty").nth(k)).to_be_hidden()
    expect(page.locator("#acc-chart path[data-series='val']")).to_have_attribute("data-points", "1")
    expect(page.locator("#filters canvas")).to_have_count(6)
    expect(page.locator("#maps .map-row")).to_have_count(4)  # conv1, pool1, conv2, pool2
    expect(page.locator("#filters-scale")).to_contain_text("±0.")
    cells = page.locator("table.confusion td")
    expect(cells).to_have_count(100)
    total = sum(int(c.get_attribute("data-count")) for c in cells.all())
    assert total == 2000
    mistakes = page.locator("#mistakes figure")
    assert 1 <= mistakes.count() <= 24
    assert re.fullmatch(r"\d → \d \(\d+%\)", mistakes.first.inner_text().strip())
    shoot(page, "learn-finished.png")
    # The server's list of runs links to it.
    run_id = re.search(r"run=([0-9a-f]+)", page.url).group(1)
    page.click("#run-list-box summary")
    expect(page.locator(f"#run-list a[href$='run={run_id}']")).to_have_attribute("aria-current", "true")
    expect(page.locator("#run-list")).to_contain_text(re.compile(r"LeNet-5, Finished, step (\d+) of \1,"))
    # Save it for the draw page.
    page.fill("#model-name", "browser-lenet")
    page.click("#save")
    expect(page.locator("#save-result")).to_contain_text("browser-lenet")
    assert "browser-lenet" in [m["name"] for m in server[2].list()]
    assert console_errors == []


def test_two_pages_watching_one_run_see_the_same_events(browser, server):
    base = server[0]
    a = browser.new_page(viewport={"width": 1280, "height": 720})
    b = browser.new_page(viewport={"width": 1280, "height": 720})
    errors = []
    for p in (a, b):
        p.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        p.on("pageerror", lambda e: errors.append(str(e)))
    a.goto(f"{base}/learn?lang=en&preset=tiny&epochs=3&batch=32")
    expect(a.locator("#start")).to_be_enabled()
    a.click("#start")
    a.wait_for_url(re.compile(r"run=[0-9a-f]+"))
    run_id = re.search(r"run=([0-9a-f]+)", a.url).group(1)
    b.goto(f"{base}/learn?lang=zh&run={run_id}")  # a second browser, by the run's link
    for p in (a, b):
        wait_done(p)
    for selector in (
        "#loss-chart path[data-series='train']",
        "#acc-chart path[data-series='train']",
        "#loss-chart path[data-series='val']",
    ):
        assert a.locator(selector).get_attribute("d") == b.locator(selector).get_attribute("d"), selector
    counts = [[c.get_attribute("data-count") for c in p.locator("table.confusion td").all()] for p in (a, b)]
    assert counts[0] == counts[1]
    steps = [p.locator("#run-numbers dd[data-key='step']").inner_text() for p in (a, b)]
    assert steps[0] == steps[1]
    expect(b.locator("#run-state")).to_have_text("已完成")
    expect(b.locator("#layers .layer")).to_have_count(5)  # the viewer sees the run's network
    # The share link only watches: no controls on the viewer's page, and it says why.
    for selector in ("#pause", "#stop", "#set-lr", "#new-lr", "#save-bar", "#copy-control"):
        expect(b.locator(selector)).to_be_hidden()
        expect(a.locator(selector)).to_be_visible()
    expect(b.locator("#run-watching")).to_contain_text("只有开始它的浏览器")
    expect(a.locator("#run-watching")).to_be_hidden()
    expect(b.locator("#start")).to_be_hidden()  # a viewer does not start runs from the teacher's run page ...
    expect(b.locator("#run-watching a")).to_have_attribute("href", "/learn?lang=zh")  # ... but from a page of its own
    assert a.locator("#run-link").get_attribute("href").endswith(f"run={run_id}&lang=en")  # the teacher's language
    shoot(b, "learn-viewer-zh.png")
    assert errors == []
    a.close()
    b.close()


def test_a_control_link_hands_the_controls_to_a_co_teacher(browser, server):
    base = server[0]
    a = browser.new_page(viewport={"width": 1280, "height": 720})
    a.goto(f"{base}/learn?lang=en&preset=tiny&epochs=50&batch=8")
    expect(a.locator("#start")).to_be_enabled()
    a.click("#start")
    a.wait_for_url(re.compile(r"run=[0-9a-f]+"))
    expect(a.locator("#run-state")).to_have_text("Training")
    expect(a.locator("#start")).to_be_disabled()  # no second run by mistake while this one trains
    a.click("#copy-control")
    link = a.locator("#control-link").input_value()
    assert re.fullmatch(rf"{re.escape(base)}/learn\?run=[0-9a-f]+#control=[\w-]+", link), link
    c = browser.new_page(viewport={"width": 1280, "height": 720})  # another browser (its own storage)
    c.goto(link)
    expect(c.locator("#stop")).to_be_visible()
    assert "#control" not in c.url  # taken out of the address bar once kept
    c.click("#stop")
    expect(a.locator("#run-state")).to_have_text("Stopped")
    viewer = browser.new_page(viewport={"width": 1280, "height": 720})
    viewer.goto(link.split("#")[0])
    expect(viewer.locator("#run-watching")).to_be_visible()
    expect(viewer.locator("#stop")).to_be_hidden()
    for p in (a, c, viewer):
        p.close()


def test_pause_resume_learning_rate_and_stop(page, server, console_errors):
    base = server[0]
    page.goto(f"{base}/learn?lang=en&preset=tiny&epochs=50&batch=16")
    page.click("#start")
    expect(page.locator("#run-state")).to_have_text("Training")
    page.wait_for_function("() => document.querySelector(\"#loss-chart path[data-series='train']\").dataset.points > 2")
    page.click("#pause")
    expect(page.locator("#run-state")).to_have_text("Paused")
    expect(page.locator("#pause")).to_have_text("Resume")
    points = page.locator("#loss-chart path[data-series='train']").get_attribute("data-points")
    page.wait_for_timeout(400)
    assert page.locator("#loss-chart path[data-series='train']").get_attribute("data-points") == points
    shoot(page, "learn-paused.png")
    page.fill("#new-lr", "0.01")
    page.keyboard.press("Enter")
    page.click("#pause")  # resume: the new learning rate takes effect
    expect(page.locator("#run-numbers dd[data-key='lr']")).to_have_text("0.01")
    page.fill("#new-lr", "-3")
    page.click("#set-lr")
    expect(page.locator("#alerts")).to_contain_text("learning rate must be a number above 0")  # a websocket error event
    page.click("#stop")
    expect(page.locator("#run-state")).to_have_text("Stopped")
    expect(page.locator("#run-result")).to_contain_text("Final model's test accuracy")
    expect(page.locator("#pause")).to_be_disabled()
    assert console_errors == []


def test_builder_edits_and_explains(page, server, console_errors):
    base = server[0]
    page.goto(f"{base}/learn?lang=en&preset=tiny")
    layers = page.locator("#layers .layer")
    expect(layers).to_have_count(5)
    expect(layers.nth(0).locator(".layer-info")).to_contain_text("4×24×24, 104 parameters")
    expect(layers.nth(0).locator(".layer-info")).to_contain_text("fully connected would need 1,808,640")
    # Edit a setting: shapes come back from the server.
    layers.nth(0).locator("input[data-field='padding']").fill("2")
    expect(layers.nth(0).locator(".layer-info")).to_contain_text("4×28×28")
    expect(layers.nth(4).locator(".layer-info")).to_contain_text("7,850 parameters")  # (4*14*14 + 1) * 10
    assert re.search(r"[?&]preset=(&|$)", page.url) and "layers=conv:4:5:1:2" in page.url  # edited: no preset
    # An impossible network: the layer at fault says why and Start is off.
    layers.nth(0).locator("input[data-field='kernel']").fill("40")
    expect(layers.nth(0)).to_have_class(re.compile("invalid"))
    expect(layers.nth(0).locator(".layer-problem")).to_contain_text("does not fit")
    expect(page.locator("#start")).to_be_disabled()
    shoot(page, "learn-builder-error.png")
    layers.nth(0).locator("input[data-field='kernel']").fill("5")
    expect(page.locator("#start")).to_be_enabled()
    # Add, move and remove layers with the keyboard.
    page.select_option("#add-kind", "dropout")
    page.focus("#add-layer")
    page.keyboard.press("Enter")
    expect(layers).to_have_count(6)
    expect(layers.nth(5).locator(".layer-info")).to_contain_text("→ 10, 0 parameters")
    layers.nth(5).locator("[data-action='up']").focus()
    page.keyboard.press("Enter")
    expect(layers.nth(4)).to_have_attribute("data-kind", "dropout")
    expect(layers.nth(4).locator(".layer-info")).to_contain_text("→ 784, 0 parameters")  # 4×14×14 flattened
    page.select_option("#add-kind", "conv")
    page.click("#add-layer")
    expect(layers.nth(6).locator(".layer-problem")).to_contain_text("needs an image")
    expect(page.locator("#start")).to_be_disabled()
    layers.nth(6).locator("[data-action='remove']").click()
    expect(layers).to_have_count(6)
    expect(page.locator("#start")).to_be_enabled()
    # Presets fill the builder.
    page.select_option("#preset", "notes")
    expect(layers).to_have_count(10)
    expect(page.locator("#network-total")).to_contain_text("52,138")
    assert console_errors == []


def test_builder_offers_gelu_exact_or_tanh_and_softplus_settings(page, server, console_errors):
    """An activation's settings appear with it: GELU's approximate (PyTorch's "none", exact, by
    default, or "tanh"), softplus's beta and threshold; the URL and the checked spec keep them, and a
    bad setting is explained at its layer, in both languages."""
    base = server[0]
    page.goto(f"{base}/learn?lang=en&preset=&layers=conv:4:5:1:0,gelu:tanh,flatten,dense:10")
    layers = page.locator("#layers .layer")
    expect(layers).to_have_count(4)
    gelu = layers.nth(1)
    expect(gelu.locator("select[data-field='approximate']")).to_have_value("tanh")
    expect(gelu.locator("select[data-field='approximate'] option")).to_have_text(
        ["none (exact)", "tanh (approximation)"]
    )
    expect(gelu.locator(".layer-info")).to_contain_text("4×24×24, 0 parameters")
    checked = []
    page.on("request", lambda r: checked.append(r.post_data_json) if "/api/networks/check" in r.url else None)
    gelu.locator("select[data-field='approximate']").select_option("none")
    expect(page).to_have_url(re.compile(r"layers=conv:4:5:1:0,gelu,flatten"))  # the default: no settings in the URL
    expect(gelu.locator(".layer-info")).to_contain_text("4×24×24, 0 parameters")
    # softplus: its two settings replace GELU's
    gelu.locator("select[data-field='fn']").select_option("softplus")
    expect(layers.nth(1).locator("select[data-field='approximate']")).to_have_count(0)
    beta = layers.nth(1).locator("input[data-field='beta']")
    expect(beta).to_have_value("1")
    expect(layers.nth(1).locator("input[data-field='threshold']")).to_have_value("20")
    beta.fill("2")
    expect(page).to_have_url(re.compile(r"layers=conv:4:5:1:0,softplus:2:20,flatten"))
    expect(layers.nth(1).locator(".layer-info")).to_contain_text("4×24×24")
    sent = [body for body in checked if body and any(e.get("type") == "softplus" for e in body["layers"])]
    assert sent and sent[-1]["layers"][1] == {"type": "softplus", "beta": 2, "threshold": 20}
    beta.fill("0")
    expect(layers.nth(1)).to_have_class(re.compile("invalid"))
    expect(layers.nth(1).locator(".layer-problem")).to_contain_text(
        "beta of softplus must be between 0.1 and 10, got 0"
    )
    expect(page.locator("#start")).to_be_disabled()
    layers.nth(1).scroll_into_view_if_needed()
    shoot(page, "learn-builder-softplus.png")
    page.goto(f"{base}/learn?lang=zh&preset=&layers=conv:4:5:1:0,gelu:tanh,flatten,dense:10")
    expect(page.locator("#layers .layer").nth(1).locator("select[data-field='approximate'] option")).to_have_text(
        ["none（精确）", "tanh（近似）"]
    )
    page.locator("#layers .layer").nth(1).scroll_into_view_if_needed()
    shoot(page, "learn-builder-gelu-zh.png")
    assert console_errors == []


def test_learn_presenter_mode_and_language(page, server, console_errors):
    base = server[0]
    page.goto(f"{base}/learn?lang=zh&preset=tiny&epochs=1")
    expect(page.locator("h1")).to_have_text("实时训练卷积网络")
    page.click("#start")
    wait_done(page)
    page.click("[data-presenter-toggle]")
    expect(page.locator(".learn-side")).to_be_hidden()
    expect(page.locator("#start")).to_be_visible()  # a teacher can still start a run
    shoot(page, "learn-presenter-zh.png")
    page.click("a[data-lang=en]")
    expect(page.locator("#run-state")).to_have_text("Finished")  # the same run, in English, after a reload
    assert "presenter=1" in page.url and "run=" in page.url
    assert console_errors == []


def test_home_links_to_learning(page, server):
    page.goto(f"{server[0]}/?lang=en")
    page.click("a.card[href^='/learn']")
    expect(page.locator("h1")).to_have_text("Train a CNN live")
    page.click("a[href^='/learn/backprop']")
    expect(page.locator("h1")).to_have_text("Backpropagation, number by number")


def test_an_unknown_run_link(page, server, console_errors):
    page.goto(f"{server[0]}/learn?lang=en&run=deadbeef")
    expect(page.locator("#alerts")).to_contain_text("There is no training run")
    assert "run=" not in page.url
    assert [e for e in console_errors if "404" not in e] == []  # the browser logs the 404 itself


def test_a_diverging_run_says_why_and_what_to_try(page, server, console_errors):
    """tiny with SGD at the largest allowed learning rate (10) diverges within a few dozen steps."""
    base = server[0]
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{base}/learn?lang=en&preset=tiny&epochs=1&optimizer=sgd&lr=10&batch=64")
    expect(page.locator("#lr")).to_have_value("10")
    page.click("#start")
    expect(page).to_have_url(re.compile(r"run=[0-9a-f]+"))
    page.wait_for_function("() => document.querySelector('#run-state').dataset.state === 'diverged'", timeout=60_000)
    expect(page.locator("#run-state")).to_have_text("Diverged")
    result = page.locator("#run-result")
    expect(result).to_be_visible()
    text = result.inner_text()
    m = re.fullmatch(
        r"The loss became infinite at step (\d+) with learning rate 10: the steps were too large\. "
        r"Try a learning rate 10 times smaller \(1\)\.",
        text.strip(),
    )
    assert m, text
    run_id = re.search(r"run=([0-9a-f]+)", page.url).group(1)
    done = page.request.get(f"{base}/api/runs/{run_id}").json()["result"]
    assert done["reason"] == "diverged" and int(m.group(1)) == done["step"] and done["lr"] == 10
    # Not in success colours: neither the state nor the result is green.
    for selector in ("#run-state", "#run-result"):
        assert "success" not in (page.locator(selector).get_attribute("class") or "")
        colour = page.eval_on_selector(selector, "e => getComputedStyle(e).color")
        assert colour == "rgb(179, 38, 30)", (selector, colour)  # var(--bad)
    # The loss chart stays readable: its axis ends at a few times the first loss, the rest is marked.
    ticks = [
        float(x)
        for x in page.eval_on_selector_all(
            "#loss-chart .chart-tick[text-anchor=end]", "els => els.map(e => e.textContent)"
        )
    ]  # (the y axis)
    assert ticks and max(ticks) < 50, ticks
    assert page.locator("#loss-chart .chart-overflow").count() >= 1
    expect(page.locator("#loss-chart .chart-legend-overflow")).to_contain_text("▲ marks losses above")
    loss = page.locator("#run-numbers dd[data-key='loss']").inner_text()
    assert re.fullmatch(r"\d\.\de\+\d+", loss), loss  # a huge last loss is written short (4.1e+33), not in 34 digits
    expect(page.locator("#save")).to_be_disabled()
    expect(page.locator("#pause")).to_be_disabled()
    shoot(page, "learn-diverged.png")
    # The same run in Chinese, after a reload (the history replayed).
    page.goto(f"{base}/learn?lang=zh&run={run_id}")
    page.wait_for_function("() => document.querySelector('#run-state').dataset.state === 'diverged'", timeout=30_000)
    expect(page.locator("#run-state")).to_have_text("训练失控")
    expect(page.locator("#run-result")).to_have_text(
        f"第 {done['step']} 步时损失变成了无限大（学习率 10）：每一步走得太大了。试试小 10 倍的学习率（1）。"
    )
    assert console_errors == []

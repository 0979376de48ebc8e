"""Watchable training in a real browser at 1280x720: a run started slowly (the speed slider) moves its
charts, filters and feature maps one step at a time; paused, "One batch" advances the step counter,
the charts and the feature maps by exactly one; the owner changes the speed live and a viewer sees it
(in Chinese) without being able to change it. Screenshots in screenshots/."""

import re
import time
import pytest
from playwright.sync_api import expect

from tests.browser.helpers import serve, shoot


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """uvicorn on a free port; runs train on the real bundled sample, two at a time."""
    from app.main import create_app
    from app.runs.deps import dataset_loader, get_run_registry
    from app.runs.local import LocalRunRegistry

    registry = LocalRunRegistry(
        dataset_loader(None), tmp_path_factory.mktemp("state"), max_concurrent=2, max_runs_per_client=10
    )
    app = create_app()
    app.dependency_overrides[get_run_registry] = lambda: registry
    with serve(app) as base:
        yield base, registry
        registry.close()
        registry.wait_idle(20)


LINE = "#loss-chart path[data-series='train']"
STEP = "#run-numbers dd[data-key='step']"


def shown_step(page) -> int:
    return int(page.locator(STEP).inner_text().replace(",", ""))


def points(page) -> int:
    return int(page.locator(LINE).get_attribute("data-points") or 0)


def test_a_slow_run_one_batch_at_a_time(page, server, console_errors):
    base = server[0]
    page.goto(f"{base}/learn?lang=en&preset=lenet5&epochs=1&pace=2")
    expect(page.locator("#pace-value")).to_have_text("2 steps/s")
    expect(page.locator("#pace")).to_have_attribute("aria-valuetext", "2 steps/s")
    expect(page.locator("#start")).to_be_enabled()
    page.click("#start")
    expect(page.locator("#run-state")).to_have_text("Training")
    expect(page.locator("#one-batch")).to_be_disabled()  # only while paused
    # Every step reaches the page: one chart point per step, and the feature maps of that step.
    page.wait_for_function(f'() => document.querySelector("{LINE}")?.dataset.points >= 3')
    began, first = time.monotonic(), shown_step(page)
    page.wait_for_function(f'() => +document.querySelector("{STEP}").textContent >= {first + 2}')
    assert time.monotonic() - began >= 0.6  # two steps at 2 a second (about 1 s)
    step = shown_step(page)
    assert points(page) in (step, step + 1)  # (the chart may already show the next step)
    expect(page.locator("#snapshot-step")).to_contain_text(re.compile(r"step \d+"))
    shoot(page, "learn-slow-en.png")
    page.locator("#maps-title").scroll_into_view_if_needed()
    expect(page.locator("#filters canvas")).to_have_count(6)
    expect(page.locator("#maps .map-row")).to_have_count(4)
    shoot(page, "learn-slow-maps-en.png")
    page.click("#pause")
    expect(page.locator("#run-state")).to_have_text("Paused")
    expect(page.locator("#one-batch")).to_be_enabled()
    page.wait_for_timeout(300)
    step, drawn = shown_step(page), points(page)
    assert drawn == step  # every step has its point
    for n in (1, 2):
        page.click("#one-batch")
        expect(page.locator(STEP)).to_have_text(str(step + n))
        expect(page.locator(LINE)).to_have_attribute("data-points", str(drawn + n))
        expect(page.locator("#snapshot-step")).to_contain_text(f"step {step + n},")
    page.wait_for_timeout(800)  # it stays paused: nothing more
    expect(page.locator(STEP)).to_have_text(str(step + 2))
    expect(page.locator("#run-state")).to_have_text("Paused")
    shoot(page, "learn-one-batch-en.png")
    # Full speed from the keyboard, then resume: the run hurries on.
    page.focus("#pace")
    page.keyboard.press("End")
    expect(page.locator("#pace-value")).to_have_text("full speed")
    assert "pace=" in page.url and not re.search(r"pace=\d", page.url)
    page.click("#pause")
    page.wait_for_function(
        f"() => +document.querySelector(\"{STEP}\").textContent.replace(',', '') >= {step + 40}", timeout=20_000
    )
    page.click("#stop")
    expect(page.locator("#run-state")).to_have_text("Stopped")
    assert console_errors == []


def test_a_viewer_sees_the_speed_change_and_cannot_change_it(browser, server):
    base = server[0]
    owner = browser.new_page(viewport={"width": 1280, "height": 720})
    viewer = browser.new_page(viewport={"width": 1280, "height": 720})
    errors = []
    for p in (owner, viewer):
        p.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        p.on("pageerror", lambda e: errors.append(str(e)))
    owner.goto(f"{base}/learn?lang=zh&preset=lenet5&epochs=1&pace=1")
    expect(owner.locator("#pace-value")).to_have_text("每秒 1 步")
    expect(owner.locator("#start")).to_be_enabled()
    owner.click("#start")
    owner.wait_for_url(re.compile(r"run=[0-9a-f]+"))
    run_id = re.search(r"run=([0-9a-f]+)", owner.url).group(1)
    viewer.goto(f"{base}/learn?lang=zh&run={run_id}")
    expect(viewer.locator("#pace-value")).to_have_text("每秒 1 步")
    expect(viewer.locator("#pace")).to_be_disabled()
    expect(viewer.locator("#one-batch")).to_be_hidden()
    owner.focus("#pace")
    owner.keyboard.press("ArrowRight")
    owner.keyboard.press("ArrowRight")
    expect(owner.locator("#pace-value")).to_have_text("每秒 3 步")
    expect(viewer.locator("#pace-value")).to_have_text("每秒 3 步")
    assert server[1].get(run_id)["pace"] == 3
    viewer.wait_for_function(f'() => +document.querySelector("{STEP}").textContent >= 3')
    shoot(owner, "learn-slow-zh.png")
    owner.click("#pause")
    expect(owner.locator("#run-state")).to_have_text("已暂停")
    step = shown_step(owner)
    owner.click("#one-batch")
    expect(viewer.locator(STEP)).to_have_text(str(step + 1))  # the viewer sees the batch too
    expect(viewer.locator("#snapshot-step")).to_contain_text(str(step + 1))
    shoot(viewer, "learn-slow-viewer-zh.png")
    owner.click("#stop")
    expect(viewer.locator("#run-state")).to_have_text("已停止")
    assert errors == []
    owner.close()
    viewer.close()

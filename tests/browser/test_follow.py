"""Follow the teacher in real browsers: a teacher's page opens a class, a student's browser (another
context: its own storage) joins by the join URL and shows the same preset, stride and player step as
the teacher changes them; exploring alone and rejoining; the teacher ending the class. Screenshots at
1280x720 in screenshots/: the teacher's class panel and the following student's page, en and zh."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import grid_values, settle, shoot
from tests.conftest import CSP_MARK

COUNT = {"en": "{f} following, {e} exploring alone", "zh": "{f} 人跟随，{e} 人自己探索"}
FOLLOWING = {"en": "Following the teacher", "zh": "正在跟随老师"}
EXPLORING = {"en": "Exploring alone", "zh": "正在自己探索"}
ENDED = {"en": "The teacher ended class", "zh": "老师已结束课堂"}


def student_page(browser, errors):
    student = browser.new_page(viewport={"width": 1280, "height": 720})
    student.on("console", lambda m: errors.append(m.text) if m.type == "error" or CSP_MARK in m.text else None)
    student.on("pageerror", lambda e: errors.append(str(e)))
    return student


def counter(page):
    return page.locator(".player-counter").inner_text()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_student_follows_the_teachers_preset_stride_and_step(page, browser, live_server, console_errors, lang):
    teacher = page
    teacher.goto(f"{live_server}/conv?lang={lang}&preset=basic")
    settle(teacher)
    teacher.click("[data-follow-teach]")
    panel = teacher.locator("[data-class-panel]")
    expect(panel).to_be_visible()
    code = teacher.locator("[data-class-code]").inner_text()
    assert re.fullmatch(r"[A-HJKMNP-Z2-9]{5}", code), code
    join_url = teacher.locator("[data-class-url]").inner_text()
    assert join_url == f"{live_server}/join/{code}"
    qr = teacher.locator("img.class-qr")
    assert qr.get_attribute("src") == f"/api/classes/{code}/qr.svg"
    teacher.wait_for_function("() => document.querySelector('img.class-qr').naturalWidth > 0")
    count = teacher.locator("[data-class-count]")
    expect(count).to_have_text(COUNT[lang].format(f=0, e=0))

    errors: list[str] = []
    student = student_page(browser, errors)
    student.goto(f"{live_server}/?lang={lang}")  # the student's own language (a cookie), then the join URL
    student.goto(join_url)
    expect(student.locator("[data-follow-banner]")).to_contain_text(f"{FOLLOWING[lang]}")
    expect(student.locator("[data-follow-banner]")).to_contain_text(code)
    assert "/conv?" in student.url and "class=" not in student.url
    expect(student.locator("[data-follow-teach]")).to_be_hidden()  # a follower does not open classes
    expect(count).to_have_text(COUNT[lang].format(f=1, e=0))
    settle(student)
    expect(student.locator("#preset")).to_have_value("basic")

    # The teacher picks another preset, then changes the stride, then steps the player: the student sees each.
    teacher.select_option("#preset", "relu5x5")
    settle(teacher)
    expect(student.locator("#preset")).to_have_value("relu5x5")
    settle(student)
    teacher.fill("#stride", "2")
    settle(teacher)
    expect(student.locator("#stride")).to_have_value("2")
    settle(student)
    expect(student.locator(".player-counter")).to_have_text(counter(teacher))
    teacher.locator("main h1").click()  # (focus off the field: the arrows step the player)
    teacher.keyboard.press("ArrowRight")
    teacher.keyboard.press("ArrowRight")
    expect(teacher.locator(".player-counter")).to_contain_text("3")
    expect(student.locator(".player-counter")).to_have_text(counter(teacher))
    assert grid_values(student, "#output-grids") == grid_values(teacher, "#output-grids")
    assert student.locator("#math").inner_text() == teacher.locator("#math").inner_text()
    assert student.url.split("?")[0] == teacher.url.split("?")[0]
    shoot(teacher, f"follow-teacher-panel-{lang}.png")
    shoot(student, f"follow-student-{lang}.png")

    # Exploring alone: the teacher's steps no longer move the student's page; rejoining catches up in one click.
    student.click("[data-follow-explore]")
    expect(student.locator("[data-follow-banner]")).to_contain_text(EXPLORING[lang])
    expect(count).to_have_text(COUNT[lang].format(f=0, e=1))
    shown = counter(student)
    teacher.keyboard.press("ArrowRight")
    expect(teacher.locator(".player-counter")).not_to_have_text(shown)
    student.wait_for_timeout(400)
    assert counter(student) == shown
    shoot(student, f"follow-student-exploring-{lang}.png")
    student.click("[data-follow-rejoin]")
    expect(student.locator(".player-counter")).to_have_text(counter(teacher))
    expect(student.locator("[data-follow-banner]")).to_contain_text(FOLLOWING[lang])
    expect(count).to_have_text(COUNT[lang].format(f=1, e=0))

    # The teacher ends the class: the student is told, and follows no more.
    teacher.click("[data-class-end]")
    expect(panel).to_have_count(0)
    expect(student.locator("[data-follow-banner]")).to_contain_text(ENDED[lang])
    expect(teacher.locator("[data-follow-teach]")).to_have_attribute("aria-expanded", "false")
    assert errors == [] and console_errors == []
    student.close()


def test_a_student_who_edits_explores_alone_and_follows_the_teacher_to_another_page(
    page, browser, live_server, console_errors
):
    teacher = page
    teacher.goto(f"{live_server}/conv?lang=en&preset=basic")
    settle(teacher)
    teacher.click("[data-follow-teach]")
    code = teacher.locator("[data-class-code]").inner_text()
    teacher.click("[data-class-hide]")  # hidden, the class goes on; the header button says how many follow
    expect(teacher.locator("[data-class-panel]")).to_be_hidden()
    errors: list[str] = []
    student = student_page(browser, errors)
    student.goto(f"{live_server}/join")  # typing the code (lower case) in the join form
    student.fill("#join-code", code.lower())
    student.click(".join-form button")
    expect(student.locator("[data-follow-banner]")).to_contain_text("Following the teacher")
    expect(teacher.locator("[data-follow-teach]")).to_have_text(f"{code} · 1 following")
    # The teacher goes to the pooling lab: the student's page goes there too, with the teacher's settings.
    teacher.click("[data-follow-teach]")  # (the panel open on this page does not follow to the next)
    expect(teacher.locator("[data-class-panel]")).to_be_visible()
    teacher.goto(f"{live_server}/pool?lang=en&preset=avg")
    settle(teacher)
    expect(teacher.locator("[data-class-panel]")).to_be_hidden()
    expect(teacher.locator("[data-follow-teach]")).to_have_text(f"{code} · 1 following")
    student.wait_for_url(re.compile(r"/pool\?"))
    settle(student)
    expect(student.locator("#mode")).to_have_value("avg")
    expect(student.locator("[data-follow-banner]")).to_contain_text("Following the teacher")
    # The student edits a setting: now exploring alone, and the teacher's next change does not undo the edit.
    student.fill("#stride", "1")
    expect(student.locator("[data-follow-banner]")).to_contain_text("Exploring alone")
    teacher.select_option("#preset", "max")
    settle(teacher)
    student.wait_for_timeout(400)
    expect(student.locator("#stride")).to_have_value("1")
    expect(student.locator("#mode")).to_have_value("avg")
    student.click("[data-follow-rejoin]")
    expect(student.locator("#mode")).to_have_value("max")
    assert errors == [] and console_errors == []
    student.close()


@pytest.mark.parametrize(
    "lang,text", [("en", "There is no class with the code “ZZZZ9”"), ("zh", "没有加入码为“ZZZZ9”的课堂")]
)
def test_an_unknown_code_is_explained_on_the_join_page(page, live_server, console_errors, lang, text):
    response = page.goto(f"{live_server}/join/zzzz9?lang={lang}")
    assert response.status == 404
    expect(page.locator("[data-join-error]")).to_contain_text(text)
    expect(page.locator("#join-code")).to_have_value("ZZZZ9")
    shoot(page, f"follow-join-unknown-{lang}.png")
    assert [e for e in console_errors if "status of 404" not in e] == []  # (the page's own 404 is logged)

"""The activation lab in a real browser: sliders redraw the curves from the server's numbers, the
vanishing gradient shows 0.25^n for sigmoid, the URL reproduces the screen, the language switch
keeps it, presenter mode keeps the controls, the keyboard reaches them, and no console errors."""

from decimal import ROUND_HALF_UP, Decimal

from playwright.sync_api import expect

from tests.browser.helpers import open_lab, settle, shoot


def slide(page, selector, value):
    """Move a range input to `value` as a user's drag would (an input event)."""
    page.eval_on_selector(
        selector, "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }", str(value)
    )


def sig4(x):
    """x with 4 significant digits as JavaScript's toPrecision(4) writes it (ties away from zero,
    0.015625 -> 0.01563; 9.537e-7), the way the page formats numbers."""
    d = Decimal(x)
    exponent = d.adjusted()
    rounded = d.quantize(Decimal(1).scaleb(exponent - 3), rounding=ROUND_HALF_UP).normalize()
    if -7 < exponent < 21:
        return format(rounded, "f")
    mantissa = (rounded.scaleb(-exponent)).normalize()
    return f"{format(mantissa, 'f')}e{exponent}"


def test_vanishing_gradient_of_sigmoid_against_relu(page, live_server, console_errors):
    open_lab(page, f"{live_server}/activations?lang=en")
    sigmoid, relu = page.locator("#vanish-readout li[data-side=a]"), page.locator("#vanish-readout li[data-side=b]")
    expect(sigmoid).to_contain_text(f"Sigmoid: f′(0) = 0.25 per layer; after 10 layers 0.25^10 = {sig4(0.25**10)}")
    expect(relu).to_contain_text("ReLU: f′(1) = 1 per layer; after 10 layers 1^10 = 1")
    expect(sigmoid).to_contain_text("it vanishes")
    expect(relu).to_contain_text("it passes unchanged")
    for n in (1, 3, 20):
        slide(page, "#depth", n)
        expect(sigmoid).to_contain_text(f"after {n} layer")
        expect(sigmoid).to_contain_text(f"0.25^{n} = {sig4(0.25**n)}")
        assert float(sigmoid.get_attribute("data-gradient")) == 0.25**n
        assert f"depth={n}" in page.url
    page.focus("#depth")
    page.keyboard.press("Home")  # the slider is reachable and works from the keyboard
    expect(sigmoid).to_contain_text("0.25^1 = 0.25")
    # both series on the log chart, with the chosen depth marked
    assert page.locator("#chart-vanish path[data-series=a]").get_attribute("data-points") == "20"
    assert page.locator("#chart-vanish path[data-series=b]").get_attribute("data-points") == "20"
    expect(page.locator("#fact-a")).to_contain_text("σ′(0) = 0.25")
    expect(page.locator("#fact-a")).to_contain_text("at most 0.25")
    expect(page.locator("#fact-b")).to_contain_text("ReLU′(1) = 1, ReLU′(0) = 0, ReLU′(−1) = 0")
    # "largest f′ = 1" is marked at z = 1, where ReLU′ is 1 (not at z = 0.05, which reads as z = 0)
    expect(page.locator("#chart-b .chart-marker-label")).to_have_text("largest f′ = 1")
    expect(page.locator("#panel-b")).to_have_attribute("data-argmax-df", "1")
    expect(page.locator("#saturation-a")).to_contain_text("z ≤ -2.9 and z ≥ 2.9")
    assert page.locator("#chart-a .chart-region").count() == 2
    slide(page, "#depth", 10)
    shoot(page, "activations-en.png")
    page.locator("#vanish").scroll_into_view_if_needed()
    shoot(page, "activations-vanishing.png")
    assert console_errors == []


def test_fixed_z_shows_dead_relu_and_smaller_sigmoid_factor(page, live_server, console_errors):
    open_lab(page, f"{live_server}/activations?lang=en&zmode=fixed&z=-1&depth=4")
    expect(page.locator("#z")).to_be_visible()
    expect(page.locator("#vanish-readout li[data-side=b]")).to_contain_text(
        "f′(-1) = 0 per layer; after 4 layers 0^4 = 0"
    )
    expect(page.locator("#vanish-readout li[data-side=b]")).to_contain_text("nothing passes")
    slide(page, "#z", 2)
    settle(page)
    factor = 0.8807970779778823 * (1 - 0.8807970779778823)  # sigmoid'(2), written out
    expect(page.locator("#vanish-readout li[data-side=a]")).to_contain_text(f"f′(2) = {sig4(factor)}")
    page.select_option("#zmode", "steepest")
    settle(page)
    expect(page.locator("#z")).to_be_hidden()
    assert console_errors == []


def test_sliders_change_the_curve(page, live_server, console_errors):
    open_lab(page, f"{live_server}/activations?lang=en&a=leaky_relu&b=elu")
    curve = page.locator("#chart-a path[data-series=f]")
    before = curve.get_attribute("d")
    expect(page.locator("#fact-a")).to_contain_text("a = 0.01")
    slide(page, "#param-a-a", 0.5)
    settle(page)
    expect(page.locator("#fact-a")).to_contain_text("a = 0.5 instead of 0: f′(−1) = 0.5")
    assert curve.get_attribute("d") != before
    assert "pa=a:0.5" in page.url
    expect(page.locator("#saturation-a")).to_contain_text("Nowhere saturated")
    elu = page.locator("#chart-b path[data-series=f]").get_attribute("d")
    slide(page, "#param-b-alpha", 0.4)
    settle(page)
    expect(page.locator("#fact-b")).to_contain_text("−α = −0.4")
    assert page.locator("#chart-b path[data-series=f]").get_attribute("d") != elu
    # RReLU's range keeps l <= u, and the band follows the sliders
    page.select_option("#name-b", "rrelu")
    settle(page)
    assert page.locator("#chart-b .chart-band").count() == 1
    slide(page, "#param-b-lower", 0.6)
    settle(page)
    expect(page.locator("#param-b-upper + output")).to_have_text("0.6")
    expect(page.locator("#fact-b")).to_contain_text("(l + u)/2 = 0.6")
    page.select_option("#name-b", "maxout")
    settle(page)
    # the default pieces' slopes are ±2: said as an exploding gradient, not as a vanishing one
    expect(page.locator("#vanish-readout li[data-side=b]")).to_contain_text("^10 = 1024 — it explodes")
    slide(page, "#param-b-k", 5)
    settle(page)
    expect(page.locator("#fact-b")).to_contain_text("k = 5")
    assert "pb=k:5" in page.url
    assert console_errors == []


def test_url_round_trip_and_language_switch(page, live_server, console_errors):
    query = "a=elu&pa=alpha:0.4&b=rrelu&pb=lower:0.1,upper:0.3&range=4&depth=7&zmode=fixed&z=1.5"
    open_lab(page, f"{live_server}/activations?lang=en&{query}")
    assert page.input_value("#name-a") == "elu" and page.input_value("#name-b") == "rrelu"
    assert page.input_value("#param-a-alpha") == "0.4" and page.input_value("#param-b-upper") == "0.3"
    assert page.input_value("#range") == "4" and page.input_value("#depth") == "7"
    expect(page.locator("#z-value")).to_have_text("1.5")
    expect(page.locator("#fact-b")).to_contain_text("(l + u)/2 = 0.2")
    assert page.eval_on_selector("#chart-a path[data-series=f]", "p => p.getAttribute('data-points')") == "241"
    fact_a = page.locator("#fact-a").text_content()
    readout = page.locator("#vanish-readout").text_content()
    copied = page.url
    for key in ("a=elu", "pa=alpha:0.4", "pb=lower:0.1,upper:0.3", "range=4", "depth=7", "zmode=fixed", "z=1.5"):
        assert key in copied
    other = page.context.new_page()
    open_lab(other, copied)
    expect(other.locator("#fact-a")).to_have_text(fact_a)
    expect(other.locator("#vanish-readout")).to_have_text(readout)
    other.close()
    page.click("a[data-lang=zh]")
    settle(page)
    expect(page.locator("h1")).to_have_text("激活函数实验室")
    expect(page.locator("#fact-b")).to_contain_text("测试时 a = (l + u)/2 = 0.2")
    expect(page.locator("#vanish-readout")).to_contain_text("经过 7 层后")
    assert "lang=zh" in page.url and "pa=alpha:0.4" in page.url
    page.goto(f"{live_server}/activations?lang=zh")
    settle(page)
    expect(page.locator("#fact-a")).to_contain_text("每经过一层 sigmoid，梯度至多乘以 0.25")
    shoot(page, "activations-zh.png")
    assert console_errors == []


def test_presenter_mode_keeps_the_controls_and_the_keyboard_reaches_them(page, live_server, console_errors):
    open_lab(page, f"{live_server}/activations?lang=en")
    page.click("[data-presenter-toggle]")
    expect(page.locator("html")).to_have_class("presenter")
    assert "presenter=1" in page.url
    for control in ("#name-a", "#name-b", "#range", "#depth", "#zmode"):
        expect(page.locator(control)).to_be_visible()
    expect(page.locator(".act-title .intro")).to_be_hidden()
    page.focus("#name-b")
    page.keyboard.press("ArrowDown")  # the next activation after ReLU
    settle(page)
    expect(page.locator("#name-b")).to_have_value("leaky_relu")
    expect(page.locator("#param-b-a")).to_be_visible()
    page.select_option("#name-b", "relu")
    settle(page)
    shoot(page, "activations-presenter.png")
    assert console_errors == []


def test_gelu_exact_or_tanh_and_softplus_beta_threshold(page, live_server, console_errors):
    """GELU's menu picks PyTorch's approximate ("none", exact, by default; "tanh"), and the caption says
    which is which with the largest gap between them; softplus's beta and threshold sliders move the
    switch to the identity, which the caption places; the URL keeps both; Chinese too."""
    open_lab(page, f"{live_server}/activations?lang=en&a=gelu&b=softplus")
    expect(page.locator("#param-a-approximate")).to_have_value("none")
    expect(page.locator("#param-a-approximate option")).to_have_text(
        ["none: exact, z·Φ(z)", "tanh: the tanh approximation"]
    )
    expect(page.locator("#formula-a")).to_have_text("z Phi(z) = 0.5 z (1 + erf(z / sqrt(2)))")
    fact = page.locator("#fact-a")
    expect(fact).to_contain_text("Exact GELU")
    expect(fact).to_contain_text('approximate="none"')
    gap = page.evaluate("""async () => (await (await fetch('/api/activations', {method: 'POST',
        headers: {'content-type': 'application/json'},
        body: JSON.stringify({name: 'gelu', xmin: -6, xmax: 6, n: 241})})).json()).facts.approximation_gap""")
    assert 4e-4 < gap < 5e-4
    expect(fact).to_contain_text(f"at most {sig4(gap)} on this range")
    exact_curve = page.locator("#chart-a path[data-series=f]").get_attribute("d")
    page.select_option("#param-a-approximate", "tanh")
    settle(page)
    expect(fact).to_contain_text('GELU, tanh approximation (PyTorch\'s approximate="tanh"')
    expect(fact).to_contain_text(f"at most {sig4(gap)} from the exact GELU")
    expect(page.locator("#formula-a")).to_contain_text("tanh(sqrt(2/pi)")
    assert page.locator("#chart-a path[data-series=f]").get_attribute("d") != exact_curve
    assert "pa=approximate:tanh" in page.url
    # softplus: beta 1, threshold 20 (PyTorch's defaults); at threshold 2 the identity starts at z = 2
    expect(page.locator("#param-b-beta + output")).to_have_text("1")
    expect(page.locator("#param-b-threshold + output")).to_have_text("20")
    expect(page.locator("#fact-b")).to_contain_text("from z = 20 on, PyTorch returns z itself")
    slide(page, "#param-b-threshold", 2)
    settle(page)
    expect(page.locator("#fact-b")).to_contain_text("Where βz > 2, from z = 2 on")
    expect(page.locator("#fact-b")).to_contain_text(f"drops by {sig4(0.1269280110429725)}")  # log(1 + e^-2)
    slide(page, "#param-b-beta", 2)
    settle(page)
    expect(page.locator("#fact-b")).to_contain_text("(β = 2)")
    expect(page.locator("#fact-b")).to_contain_text("from z = 1 on")
    assert "pb=beta:2,threshold:2" in page.url
    shoot(page, "activations-gelu-softplus.png")
    copied = page.url
    other = page.context.new_page()
    open_lab(other, copied.replace("lang=en", "lang=zh"))
    expect(other.locator("#param-a-approximate")).to_have_value("tanh")
    expect(other.locator("#fact-a")).to_contain_text("GELU 的 tanh 近似")
    expect(other.locator("#fact-b")).to_contain_text("从 z = 1 起，PyTorch 直接返回 z")
    expect(other.locator("#param-a-approximate option").first).to_have_text("none：精确，z·Φ(z)")
    shoot(other, "activations-gelu-softplus-zh.png")
    other.close()
    # A name the menu does not have, in a hand-edited URL, falls back to the default.
    open_lab(page, f"{live_server}/activations?lang=en&a=gelu&pa=approximate:erf")
    expect(page.locator("#param-a-approximate")).to_have_value("none")
    expect(page.locator("#fact-a")).to_contain_text("Exact GELU")
    assert console_errors == []

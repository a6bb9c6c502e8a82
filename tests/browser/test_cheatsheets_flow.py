"""A learner studies in real Chromium: sign up, open a sheet, follow the table of contents,
mark it reviewed, see it on the dashboard, switch to the dark theme (and keep it); search as
they type; read a sheet on a phone (its table of contents, wide tables, code to copy)."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shipped_content(transactional_db):
    """The shipped sheets (only them: these flows need no quiz)."""
    from cheatsheets.services import cheatsheets_sync

    cheatsheets_sync()


def sign_up(page, live_server, username="ada"):
    page.goto(live_server.url + "/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill("a-long-pass-phrase-42")
    page.get_by_label("Password confirmation").fill("a-long-pass-phrase-42")
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def test_learner_studies_a_sheet_end_to_end(page, live_server, shipped_content, shot):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password", exact=True).fill("a-long-pass-phrase-42")
    page.get_by_label("Password confirmation").fill("a-long-pass-phrase-42")
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_text("Welcome, ada")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cheat sheets").click()
    expect(page.get_by_role("heading", name="Cheat sheets", level=1)).to_be_visible()
    shot(page, "index-light", full_page=True)
    page.get_by_role("link", name="Amazon SQS", exact=True).click()
    expect(page.get_by_role("heading", name="Amazon SQS", level=1)).to_be_visible()
    shot(page, "sheet-light")

    # Follow the table of contents to the exam tips.
    page.locator(".sheet-toc").get_by_role("link", name="Exam tips").click()
    expect(page).to_have_url(re.compile(r"#exam-tips$"))
    expect(page.locator("#exam-tips")).to_be_in_viewport()
    page.wait_for_function("() => document.querySelector('.sheet-toc a.active')?.textContent.includes('Exam tips')")

    # A hidden answer opens on click.
    answer = page.locator("#which-service ~ details").first
    answer.locator("summary").click()
    expect(answer).to_have_attribute("open", "")

    # Mark as reviewed (htmx swaps the button in place), then reload: it is stored.
    actions = page.locator(".sheet-actions")
    actions.get_by_role("button", name="Mark as reviewed").click()
    expect(actions.get_by_role("button", name=re.compile("Reviewed"))).to_be_visible()
    page.reload()
    expect(actions.get_by_role("button", name=re.compile("Reviewed"))).to_be_visible()

    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator(".big-number strong")).to_have_text("1")
    expect(page.get_by_role("progressbar", name="Cheat sheets reviewed")).to_have_attribute("aria-valuenow", re.compile(r"^[1-9]"))

    # Dark theme: the toggle switches and the choice survives a reload.
    page.get_by_role("button", name="Switch to dark theme").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(15, 19, 32)"
    shot(page, "dashboard-dark")
    page.goto(live_server.url + "/cheatsheets/")
    shot(page, "index-dark", full_page=True)
    page.goto(live_server.url + "/cheatsheets/sqs/")
    shot(page, "sheet-dark")


def test_search_highlights_and_keyboard_reaches_it(page, live_server, shipped_content, shot):
    page.goto(live_server.url + "/cheatsheets/")
    page.keyboard.press("/")
    expect(page.locator("#index-q")).to_be_focused()
    page.keyboard.type("visibility timeout")
    page.keyboard.press("Enter")
    expect(page.locator(".search-results mark").first).to_be_visible()
    shot(page, "search")
    page.locator(".search-results a").first.click()
    expect(page).to_have_url(re.compile(r"/cheatsheets/[a-z0-9-]+/#"))


def test_phone_layout_has_a_working_menu(browser, live_server, shipped_content, shot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    page = context.new_page()
    page.goto(live_server.url + "/cheatsheets/lambda/")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")  # follows the system
    nav = page.locator("#site-nav")
    expect(nav).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    expect(nav).to_be_visible()
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways on a phone ({width}px)"
    shot(page, "sheet-phone-dark")
    context.close()


def test_print_stylesheet_hides_the_chrome_and_opens_answers(page, live_server, shipped_content):
    page.goto(live_server.url + "/cheatsheets/lambda/")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".sheet-toc")).to_be_hidden()
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    expect(page.locator(".prose details").first).to_have_attribute("open", "")
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF")


def test_the_content_security_policy_refuses_an_injected_inline_script(browser, live_server):
    """What the page fixture watches for: an inline script without the nonce does not run and
    Chromium reports the violation (issue 15: a CSP on the site's pages)."""
    context = browser.new_context()
    page = context.new_page()
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(live_server.url + "/accounts/login/")
    page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.ran = true';
                             document.head.appendChild(s); }""")
    assert page.evaluate("() => window.ran === true") is False
    page.wait_for_timeout(200)
    assert violations and "script-src" in violations[0]
    assert page.evaluate("() => document.documentElement.dataset.theme") in ("light", "dark")  # the nonce'd one ran
    context.close()


@pytest.mark.parametrize("width, scheme", [(1280, "light"), (390, "dark")])
def test_search_results_follow_the_typing(browser, live_server, shipped_content, shot, width, scheme):
    """Issue 14: results as you type, typo-tolerant, title matches first; the focus stays in the
    box, the count is announced politely, the address follows the query, no page load."""
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(live_server.url + "/cheatsheets/search/")
    page.evaluate("window.samePage = true")
    box = page.locator("#search-q")
    expect(box).to_be_focused()
    page.keyboard.type("lamda concurency", delay=40)
    status = page.locator("#search-status")
    expect(status).to_contain_text("lambda concurrency")
    expect(status).to_have_attribute("role", "status")
    first = page.locator(".search-results > li").first
    expect(first.get_by_role("link").first).to_have_text("AWS Lambda")
    expect(first.locator("mark").first).to_be_visible()
    expect(box).to_be_focused()
    expect(page).to_have_url(re.compile(r"/cheatsheets/search/\?q=lamda(\+|%20)concurency$"))
    assert page.evaluate("window.samePage") is True  # updated in place, not reloaded
    shot(page, f"search-live-{width}-{scheme}")

    # Keep typing: a new query replaces the results; "SQS" puts Amazon SQS first.
    box.fill("")
    page.keyboard.type("SQS", delay=40)
    expect(page.locator(".search-results > li").first.get_by_role("link").first).to_have_text("Amazon SQS")
    box.fill("")
    page.keyboard.type("dlq", delay=40)
    expect(page.locator(".search-results")).to_contain_text("dead-letter")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()
    assert not errors, errors


def test_the_index_box_shows_results_as_you_type(page, live_server, shipped_content, shot):
    page.goto(live_server.url + "/cheatsheets/")
    page.keyboard.press("/")
    page.keyboard.type("visibility tim", delay=30)
    expect(page.locator("#search-results .search-results > li").first).to_contain_text("Amazon SQS")
    expect(page.locator("#index-q")).to_be_focused()
    shot(page, "index-live-search")
    page.locator("#index-q").fill("")
    page.locator("#index-q").press("End")  # an input event for htmx
    page.keyboard.type("x")
    page.keyboard.press("Backspace")
    expect(page.locator("#search-results .search-results")).to_have_count(0)


def test_a_phone_reader_has_the_contents_tables_and_code_at_hand(browser, live_server, shipped_content, shot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="light",
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_server.url + "/cheatsheets/usecase-video-processing/")
    expect(page.locator(".sheet-toc")).to_be_hidden()

    # The table of contents: folded under the header, it opens, jumps and folds again.
    toc = page.locator(".toc-mobile")
    expect(toc).to_be_visible()
    toc.locator("summary").click()
    shot(page, "sheet-phone-toc-open")
    toc.get_by_role("link", name="Exam tips").click()
    expect(page).to_have_url(re.compile(r"#exam-tips$"))
    expect(toc).not_to_have_attribute("open", "")
    expect(page.locator("#exam-tips")).to_be_in_viewport()
    expect(toc).to_be_in_viewport()  # sticky: still at hand halfway down the page

    # A wide table says that it scrolls, and can be scrolled from the keyboard.
    region = page.locator(".prose .table-scroll.is-scrollable").first
    expect(region).to_have_attribute("role", "region")
    expect(region).to_have_attribute("tabindex", "0")
    hint = page.locator("#" + region.get_attribute("aria-describedby"))
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("Scroll sideways")
    region.scroll_into_view_if_needed()
    shot(page, "sheet-phone-table")
    region.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.prose .table-scroll.is-scrollable').scrollLeft > 0")

    # Code: its language, and a copy button that copies it.
    block = page.locator(".prose div.highlight").first
    expect(block.locator(".code-lang")).to_have_text("Python")
    button = block.get_by_role("button", name="Copy Python code")
    button.scroll_into_view_if_needed()
    shot(page, "sheet-phone-code")
    button.click()
    expect(button).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("import json, os, subprocess, urllib.parse") and not copied.endswith("\n")

    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
    assert not errors, errors


def test_mark_as_reviewed_at_the_end_of_the_sheet(page, live_server, shipped_content):
    sign_up(page, live_server)
    page.goto(live_server.url + "/cheatsheets/lambda/")
    end = page.locator(".sheet-end")
    end.get_by_role("button", name="Mark as reviewed").click()
    expect(end.get_by_role("button", name=re.compile("Reviewed"))).to_be_focused()  # the focus stays put
    expect(page.locator(".sheet-actions").get_by_role("button", name=re.compile("Reviewed"))).to_be_visible()
    page.locator(".sheet-actions").get_by_role("button", name=re.compile("Reviewed")).click()
    expect(end.get_by_role("button", name="Mark as reviewed")).to_be_visible()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_use_case_diagram_is_dark_in_the_dark_theme(browser, live_server, shipped_content, shot, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme="dark")
    page = context.new_page()
    page.goto(live_server.url + "/cheatsheets/usecase-fullstack-web-app/")
    image = page.locator(".diagram img")
    image.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('.diagram img').complete")
    assert "invert" in image.evaluate("img => getComputedStyle(img).filter")
    # The diagram's own background (a near-white rect) now reads dark: sample its top-left corner.
    shot(page, f"sheet-diagram-dark-{width}")
    page.emulate_media(media="print")
    assert image.evaluate("img => getComputedStyle(img).filter") == "none"
    context.close()


def test_print_names_each_documentation_address_once(page, live_server, shipped_content):
    page.goto(live_server.url + "/cheatsheets/sns/")
    page.emulate_media(media="print")
    link = page.locator(".prose a[href^='https://docs.aws.amazon.com']").first
    assert link.evaluate("a => getComputedStyle(a, '::after').content") == "none"
    expect(page.locator(".sources .url").first).to_be_visible()  # the list carries it
    expect(page.locator(".toc-mobile")).to_be_hidden()
    expect(page.locator(".sheet-end")).to_be_hidden()

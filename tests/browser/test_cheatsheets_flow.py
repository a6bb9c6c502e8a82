"""A learner studies in real Chromium: sign up, open a sheet, follow the table of contents,
mark it reviewed, see it on the dashboard, switch to the dark theme (and keep it)."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shipped_content(transactional_db):
    call_command("sync_content", verbosity=0)


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
    page.wait_for_function("document.querySelector('.sheet-toc a.active')?.textContent.includes('Exam tips')")

    # A hidden answer opens on click.
    answer = page.locator("#which-service ~ details").first
    answer.locator("summary").click()
    expect(answer).to_have_attribute("open", "")

    # Mark as reviewed (htmx swaps the button in place), then reload: it is stored.
    page.get_by_role("button", name="Mark as reviewed").click()
    expect(page.get_by_role("button", name=re.compile("Reviewed"))).to_be_visible()
    page.reload()
    expect(page.get_by_role("button", name=re.compile("Reviewed"))).to_be_visible()

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

"""A learner runs the video lab in real Chromium against a real MiniStack: automatic mode, then
the renditions panel lists what the function made and a <video> element loads and plays them
through the site, switching sizes from the keyboard; then teardown.

As in test_labs_flow.py, the worker runs between clicks in this thread, and requests and worker
runs take turns (one SQLite connection in memory cannot serve two statements at once)."""

import re

import pytest
from playwright.sync_api import expect

from labs import aws
from labs.catalog.video import ffmpeg as video_ffmpeg
from labs.models import LabRun
from tests.browser.labs_support import lab_site, log_in, run_worker  # noqa: F401 - lab_site is a fixture
from tests.labs.conftest import leftovers, ministack  # noqa: F401 - ministack is a fixture
from tests.labs.test_video_function import CLIPS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

@pytest.fixture
def video_site(lab_site, settings, monkeypatch):  # noqa: F811
    settings.LABS_VIDEO_CLIP_SECONDS = 2
    real = video_ffmpeg.sample_clip  # deterministic clips, made once on this machine for the video tests
    monkeypatch.setattr(video_ffmpeg, "sample_clip", lambda spec, folder=None: real(spec, folder or CLIPS))
    return lab_site


def player_state(video):
    return video.evaluate("v => ({ready: v.readyState, width: v.videoWidth, height: v.videoHeight, time: v.currentTime, "
                          "src: v.currentSrc, error: v.error && v.error.code})")


def test_learner_runs_the_video_lab_and_plays_the_renditions(page, video_site, shot):
    base = video_site.url
    log_in(page, base, "lin")
    page.goto(base + "/labs/")
    page.get_by_role("link", name="Real-time video processing").click()
    expect(page.get_by_role("heading", name="Real-time video processing", level=1)).to_be_visible()
    expect(page.get_by_text("per minute of 1080p video transcoded")).to_be_visible()
    shot(page, "labs-video-detail", full_page=True)

    page.get_by_label("Automatic").check()
    page.get_by_role("button", name="Start the lab").click()
    expect(page).to_have_url(re.compile(r"/labs/runs/\d+/$"))
    run = LabRun.objects.get(user__username="lin")
    run_worker()
    expect(page.locator("#run-status")).to_contain_text("Deployed and verified", timeout=15_000)
    expect(page.locator("#run-verify .is-ok")).to_have_count(6)

    # The panel reloads itself once the run is verified: three uploads, one of them not a video.
    panel = page.locator("#video-renditions")
    expect(panel.locator(".video-item")).to_have_count(3, timeout=10_000)
    expect(panel.locator("video")).to_have_count(2)
    expect(panel).to_contain_text("Not processed: This is not a video")
    clip = panel.locator(".video-item").filter(has_text="1920×1080").first
    expect(clip.locator("tbody tr")).to_have_count(3)
    expect(clip.locator("tbody")).to_contain_text("1280×720")

    # The <video> loads the tablet rendition through the site, and plays.
    video = clip.locator("video")
    video.scroll_into_view_if_needed()
    page.wait_for_function("v => v.readyState >= 1", arg=video.element_handle(), timeout=10_000)
    state = player_state(video)
    assert (state["width"], state["height"], state["error"]) == (1280, 720, None), state
    assert f"/labs/runs/{run.pk}/media/" in state["src"]
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("v => v.currentTime > 0.3", arg=video.element_handle(), timeout=10_000)
    video.evaluate("v => v.pause()")
    # Reloading the list (Refresh, or the run moving on) keeps a player that is on the page as it is.
    page.get_by_role("button", name="Refresh").click()
    page.wait_for_timeout(500)
    assert player_state(video)["time"] > 0.3

    # Switch to the TV rendition from the keyboard: the player keeps its place.
    tv = clip.get_by_role("button", name=re.compile("TVs"))
    tv.focus()
    page.keyboard.press("Enter")
    expect(tv).to_have_attribute("aria-pressed", "true")
    page.wait_for_function("v => v.videoWidth === 1920 && v.readyState >= 2", arg=video.element_handle(), timeout=10_000)
    assert player_state(video)["height"] == 1080
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "labs-video-run-verified")
    clip.scroll_into_view_if_needed()
    shot(page, "labs-video-renditions")

    # Dark theme and a phone.
    page.get_by_role("button", name="Switch to dark theme").click()
    page.wait_for_timeout(400)
    shot(page, "labs-video-renditions-dark")
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the run page scrolls sideways on a phone ({width}px)"
    clip.scroll_into_view_if_needed()
    page.wait_for_timeout(500)  # the players lay out again at the new width
    shot(page, "labs-video-renditions-phone-dark")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Switch to light theme").click()

    # Tear down: the panel says the renditions went with the buckets.
    page.evaluate("window.scrollTo(0, 0)")
    page.get_by_role("button", name="Finish and tear down").click()
    expect(page.locator("#run-status")).to_contain_text("Queued")  # the teardown is queued before the worker runs
    run_worker()
    expect(page.locator("#run-status")).to_contain_text("Cleaned up", timeout=15_000)
    expect(panel).to_contain_text("This run is torn down", timeout=10_000)
    run.refresh_from_db()
    assert (run.outcome, run.status) == (LabRun.Outcome.PASSED, LabRun.Status.CLEANED)
    assert leftovers(aws.target_for(run.sandbox), run.prefix) == {}

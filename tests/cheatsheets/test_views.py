"""Index, sheet page, search and the reviewed toggle."""

import pytest
from django.test import Client
from django.urls import reverse

from cheatsheets.models import Category, SheetReview
from tests.factories import CheatSheetFactory, SheetReviewFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sheets():
    return [
        CheatSheetFactory(title="AWS Lambda", slug="lambda", category=Category.COMPUTE, order=10,
                          body_markdown="## Key numbers\n\nTimeout is 15 minutes.\n\n## Pricing model\n\nPer request.\n"),
        CheatSheetFactory(title="AWS Fargate", slug="fargate", category=Category.COMPUTE, order=20),
        CheatSheetFactory(title="Amazon SQS", slug="sqs", category=Category.INTEGRATION_ANALYTICS, order=10,
                          body_markdown="## Key numbers\n\nThe visibility timeout defaults to 30 seconds.\n"),
    ]


def test_index_groups_sheets_by_category_in_order(client, sheets):
    response = client.get(reverse("cheatsheets:index"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Compute") < html.index("Integration and analytics")
    assert html.index("AWS Lambda") < html.index("AWS Fargate")


def test_index_shows_each_sheets_reviewed_state_and_progress(learner_client, learner, sheets):
    SheetReviewFactory(user=learner, sheet=sheets[0])
    html = learner_client.get(reverse("cheatsheets:index")).content.decode()
    assert "✓ Reviewed" in html
    assert "<strong>1</strong> of 3 sheets reviewed (33%)" in html


def test_sheet_page_shows_rendered_body_toc_sources_and_neighbours(client, sheets):
    response = client.get(reverse("cheatsheets:detail", args=["fargate"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<h2 id="at-a-glance">' in html
    assert 'class="sheet-toc"' in html
    assert "https://docs.aws.amazon.com/lambda/" in html
    assert 'rel="prev"' in html and "AWS Lambda" in html
    assert 'rel="next"' in html and "Amazon SQS" in html


def test_unknown_sheet_is_404(client, sheets):
    assert client.get(reverse("cheatsheets:detail", args=["nope"])).status_code == 404


def test_sheet_page_never_renders_markdown(client, sheets, monkeypatch):
    import cheatsheets.rendering

    def boom(*args, **kwargs):
        raise AssertionError("rendered Markdown during a request")

    monkeypatch.setattr(cheatsheets.rendering, "render_markdown", boom)
    assert client.get(reverse("cheatsheets:detail", args=["lambda"])).status_code == 200


@pytest.mark.parametrize("signed_in, cold, warm", [(False, 2, 0), (True, 5, 3)])
def test_sheet_page_queries_cold_and_from_the_cache(client, sheets, django_assert_max_num_queries, signed_in, cold, warm):
    """Cold: the sheet and its neighbours are read (plus session, user and reviewed state when
    signed in). Warm: only what is the learner's own; an anonymous reader costs no query."""
    if signed_in:
        user = UserFactory()
        SheetReviewFactory(user=user, sheet=sheets[0])
        client.force_login(user)
    with django_assert_max_num_queries(cold):
        response = client.get(reverse("cheatsheets:detail", args=["lambda"]))
    assert response.status_code == 200
    with django_assert_max_num_queries(warm):
        assert client.get(reverse("cheatsheets:detail", args=["lambda"])).status_code == 200


def test_a_sheet_page_revalidates_with_its_etag(client, sheets):
    url = reverse("cheatsheets:detail", args=["lambda"])
    first = client.get(url)
    assert first["ETag"] and "no-cache" in first["Cache-Control"] and "Cookie" in first["Vary"]
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again["ETag"] == first["ETag"] and not again.content


def test_an_anonymous_page_is_served_before_the_middleware_stack_with_the_same_headers(client, sheets, monkeypatch):
    """Issue 17: once this process has the anonymous page at the current content version, the
    early middleware answers (no session, CSRF, auth or view), with what the full stack gives."""
    import cheatsheets.views

    url = reverse("cheatsheets:detail", args=["lambda"])
    client.get(url)  # renders and fills the shared cache
    by_the_view = client.get(url)  # from the shared cache: this process keeps its copy
    monkeypatch.setattr(cheatsheets.views, "_anonymous_detail", lambda *args: pytest.fail("reached the view"))
    early = client.get(url)
    assert early.status_code == 200 and early.content == by_the_view.content
    assert dict(early.headers) == dict(by_the_view.headers)
    assert client.get(url, HTTP_IF_NONE_MATCH=early["ETag"]).status_code == 304
    signed_in = Client()
    signed_in.force_login(UserFactory())
    with pytest.raises(BaseException, match="reached the view"):
        Client(headers={"Cookie": "sessionid=whatever"}).get(url)  # a session cookie: the full stack decides
    monkeypatch.undo()
    assert "aria-pressed" in signed_in.get(url).content.decode()  # a reader's page, not the anonymous one


def test_an_admin_edit_shows_at_once_and_changes_the_etag(admin_client, client, sheets):
    """Issue 17: cached content follows an instructor's save immediately (versioned keys)."""
    url = reverse("cheatsheets:detail", args=["lambda"])
    before = client.get(url)
    sheet = sheets[0]
    change = admin_client.get(reverse("admin:cheatsheets_cheatsheet_change", args=[sheet.pk]))
    form = {k: v for k, v in change.context["adminform"].form.initial.items() if v is not None}
    form.update(title=sheet.title, slug=sheet.slug, summary="Freshly edited summary.", category=sheet.category,
                body_markdown=sheet.body_markdown + "\n\nA sentence added in the admin.\n",
                exam_tips="[]", sources='[{"title": "Docs", "url": "https://docs.aws.amazon.com/lambda/"}]',
                services='["Lambda"]', order=sheet.order, last_reviewed="2026-12-01")
    saved = admin_client.post(reverse("admin:cheatsheets_cheatsheet_change", args=[sheet.pk]), form)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    after = client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert "A sentence added in the admin." in after.content.decode() and "Freshly edited summary." in after.content.decode()


def test_the_reviewed_state_is_each_learners_own_and_live(client, sheets):
    url = reverse("cheatsheets:detail", args=["lambda"])
    ada, bob = UserFactory(), UserFactory()
    client.force_login(ada)
    tag = client.get(url)["ETag"]
    client.post(reverse("cheatsheets:toggle_review", args=["lambda"]), {"reviewed": "1"})
    page = client.get(url, HTTP_IF_NONE_MATCH=tag)
    assert page.status_code == 200 and 'aria-pressed="true"' in page.content.decode()
    client.force_login(bob)
    assert 'aria-pressed="true"' not in client.get(url).content.decode()


def test_a_signed_in_page_is_filled_in_for_each_reader_name_token_staff_and_messages(sheets):
    """The signed-in page is rendered once and filled in per request: each reader gets their own
    name (escaped), a CSRF token their forms accept, the Admin link only when staff, and their
    pending messages (a page with messages is rendered for them alone)."""
    url = reverse("cheatsheets:detail", args=["lambda"])
    ada, bob = UserFactory(username="ada<b>"), UserFactory(username="bob", is_staff=True)
    readers = {user: Client(enforce_csrf_checks=True) for user in (ada, bob)}
    for user, reader in readers.items():
        reader.force_login(user)
    pages = {user: reader.get(url).content.decode() for user, reader in readers.items()}
    assert "ada&lt;b&gt;" in pages[ada] and "ada<b>" not in pages[ada] and "bob" not in pages[ada]
    assert ">bob</a>" in pages[bob] and "ada&lt;b&gt;" not in pages[bob]
    assert "Admin</a>" in pages[bob] and "Admin</a>" not in pages[ada]
    assert "\x02" not in pages[ada] + pages[bob]
    token = pages[ada].split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = readers[ada].post(reverse("cheatsheets:toggle_review", args=["lambda"]),
                                 {"reviewed": "1", "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and SheetReview.objects.filter(user=ada).count() == 1
    assert 'aria-pressed="true"' in readers[ada].get(url).content.decode()
    assert 'aria-pressed="true"' not in readers[bob].get(url).content.decode()
    # A message waiting for the reader is shown (and so consumed) on this page: "Choose guided or
    # automatic mode." from a lab start without a mode, followed here instead of to the lab page.
    token = pages[bob].split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    readers[bob].post(reverse("labs:start", args=["fullstack"]), {"mode": "neither", "csrfmiddlewaretoken": token})
    assert "Choose guided or automatic mode." in readers[bob].get(url).content.decode()
    assert "Choose guided or automatic mode." not in readers[bob].get(url).content.decode()


def test_index_query_count_does_not_grow_with_sheets(learner_client, django_assert_max_num_queries):
    CheatSheetFactory.create_batch(30)
    with django_assert_max_num_queries(4):
        learner_client.get(reverse("cheatsheets:index"))


def test_mark_and_unmark_reviewed(learner_client, learner, sheets):
    url = reverse("cheatsheets:toggle_review", args=["lambda"])
    response = learner_client.post(url, {"reviewed": "1"})
    assert response.status_code == 302
    assert SheetReview.objects.filter(user=learner, sheet__slug="lambda").exists()
    learner_client.post(url, {"reviewed": "1"})  # twice is still one record
    assert SheetReview.objects.filter(user=learner).count() == 1
    learner_client.post(url, {"reviewed": "0"})
    assert not SheetReview.objects.filter(user=learner).exists()


def test_htmx_toggle_returns_the_button_fragment(learner_client, sheets):
    response = learner_client.post(
        reverse("cheatsheets:toggle_review", args=["lambda"]), {"reviewed": "1"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'aria-pressed="true"' in html


def test_the_sheet_offers_mark_as_reviewed_at_the_top_and_at_the_end(learner_client, sheets):
    html = learner_client.get(reverse("cheatsheets:detail", args=["lambda"])).content.decode()
    assert html.count("Mark as reviewed") == 2
    assert html.index('id="review-form-top"') < html.index('class="prose"') < html.index('id="review-form-bottom"')
    anonymous = Client().get(reverse("cheatsheets:detail", args=["lambda"])).content.decode()
    assert "Log in to track your progress" in anonymous and "review-form" not in anonymous


def test_toggling_one_review_button_updates_the_other(learner_client, sheets):
    """The posted form is swapped in place; the other one comes out of band, with the same state."""
    response = learner_client.post(reverse("cheatsheets:toggle_review", args=["lambda"]),
                                   {"reviewed": "1", "slot": "bottom"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.count('aria-pressed="true"') == 2
    bottom, top = html.index('id="review-form-bottom"'), html.index('id="review-form-top"')
    assert bottom < top and 'hx-swap-oob="true"' in html[top:] and 'hx-swap-oob' not in html[bottom:top]
    html = learner_client.get(reverse("cheatsheets:detail", args=["lambda"])).content.decode()
    assert html.count("✓ Reviewed") == 2


def test_the_sheet_page_has_a_phone_table_of_contents_and_its_script(client, sheets):
    html = client.get(reverse("cheatsheets:detail", args=["lambda"])).content.decode()
    assert '<details class="toc-mobile">' in html and 'href="#key-numbers"' in html.split("toc-mobile")[1]
    assert "/static/cheatsheets/sheet.js" in html


def test_toggle_requires_sign_in(client, sheets):
    response = client.post(reverse("cheatsheets:toggle_review", args=["lambda"]), {"reviewed": "1"})
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert not SheetReview.objects.exists()


def test_toggle_requires_post(learner_client, sheets):
    assert learner_client.get(reverse("cheatsheets:toggle_review", args=["lambda"])).status_code == 405


def test_learner_only_touches_their_own_reviews(learner_client, learner, sheets):
    other = UserFactory()
    SheetReviewFactory(user=other, sheet=sheets[0])
    learner_client.post(reverse("cheatsheets:toggle_review", args=["lambda"]), {"reviewed": "0"})
    assert SheetReview.objects.filter(user=other, sheet=sheets[0]).exists()
    html = learner_client.get(reverse("cheatsheets:detail", args=["lambda"])).content.decode()
    assert "Mark as reviewed" in html  # the other learner's review is not shown as ours


def test_search_finds_body_text_and_highlights(client, sheets):
    response = client.get(reverse("cheatsheets:search"), {"q": "visibility timeout"})
    html = response.content.decode()
    assert "1 sheet matches" in html
    assert "<mark>visibility</mark>" in html and "<mark>timeout</mark>" in html
    assert reverse("cheatsheets:detail", args=["sqs"]) + "#key-numbers" in html


def test_search_ranks_title_matches_first(client, sheets):
    hits = client.get(reverse("cheatsheets:search"), {"q": "lambda"}).context["hits"]
    assert hits[0].sheet.slug == "lambda"


def test_search_requires_every_term(client, sheets):
    hits = client.get(reverse("cheatsheets:search"), {"q": "timeout pricing"}).context["hits"]
    assert [hit.sheet.slug for hit in hits] == ["lambda"]


def test_a_misspelt_search_says_what_it_searched_for(client, sheets):
    html = client.get(reverse("cheatsheets:search"), {"q": "lamda"}).content.decode()
    assert "<strong>lambda</strong> (no sheet has “lamda”)" in html
    assert reverse("cheatsheets:detail", args=["lambda"]) in html


def test_empty_search_result_is_helpful(client, sheets):
    html = client.get(reverse("cheatsheets:search"), {"q": "kubernetes"}).content.decode()
    assert "No sheet contains all of" in html and "Browse all cheat sheets" in html
    assert "No sheet matches “kubernetes”" in html  # the status line, announced politely


def test_live_search_returns_only_the_results_and_the_status(client, sheets):
    """As the learner types, htmx asks for the results alone: no page around them, and the
    status line swapped in place so screen readers announce the count."""
    response = client.get(reverse("cheatsheets:search"), {"q": "visib"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and "<form" not in html
    assert '<ol class="search-results">' in html and "<mark>visibility</mark>" in html
    assert 'id="search-status" hx-swap-oob="innerHTML"' in html and "1 sheet matches" in html
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_whole_page(client, sheets):
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    html = client.get(reverse("cheatsheets:search"), {"q": "visibility"}, headers=headers).content.decode()
    assert "<html" in html and 'id="search-q"' in html


def test_the_search_page_is_live_and_still_a_plain_form(client, sheets):
    html = client.get(reverse("cheatsheets:search"), {"q": "visibility"}).content.decode()
    assert 'action="/cheatsheets/search/" method="get"' in html  # works without JavaScript
    assert 'hx-get="/cheatsheets/search/"' in html and 'hx-target="#search-results"' in html
    assert 'id="search-status" class="muted search-status" role="status"' in html
    assert 'aria-controls="search-results"' in html


def test_the_index_box_shows_results_as_you_type(client, sheets):
    html = client.get(reverse("cheatsheets:index")).content.decode()
    assert 'id="index-q"' in html and 'hx-get="/cheatsheets/search/"' in html and 'id="search-results"' in html
    fragment = client.get(reverse("cheatsheets:search"), {"q": "", "compact": "1"},
                          headers={"HX-Request": "true"}).content.decode()
    assert "Type a service" not in fragment  # an emptied box leaves the index as it was


def test_a_trailing_space_means_the_last_word_is_finished(client, sheets):
    hits = client.get(reverse("cheatsheets:search"), {"q": "visib"}).context["hits"]
    assert [hit.sheet.slug for hit in hits] == ["sqs"]
    assert client.get(reverse("cheatsheets:search"), {"q": "pric "}).context["hits"] == []


def test_search_escapes_the_query(client, sheets):
    html = client.get(reverse("cheatsheets:search"), {"q": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)</script>" not in html

"""Search, the pure part: words, typos, completion, synonyms, the engines' expressions, ranking,
highlighting. No database."""

from cheatsheets import search
from cheatsheets.search import Group, Match, Vocabulary

VOCABULARY = Vocabulary.from_texts([
    "AWS Lambda concurrency: reserved concurrency and provisioned concurrency. Lambda scales.",
    "Amazon SQS dead-letter queue, visibility timeout, concurrent consumers",
    "lamp lambda lambda",
])


def test_terms_are_lowercase_distinct_in_order_without_stop_words():
    assert search.terms_of("SQS visibility SQS a the Timeout") == ["sqs", "visibility", "timeout"]


def test_words_split_like_the_engines():
    assert search.words_of("Dead-letter Lambda@Edge x_ray") == ["dead", "letter", "lambda", "edge", "x", "ray"]


def test_edit_distance_counts_swaps_once_and_stops_at_the_limit():
    assert search.edit_distance("lamda", "lambda", 2) == 1
    assert search.edit_distance("lambda", "lmabda", 2) == 1
    assert search.edit_distance("concurency", "concurrency", 2) == 1
    assert search.edit_distance("sqs", "dynamodb", 2) == 3


def test_short_words_are_never_corrected():
    """"sqs" and "sns" are one edit apart: three letters or fewer are taken as typed."""
    assert search.allowed_typos("sns") == 0
    assert Vocabulary({"sqs": 5}).closest("sns") is None


def test_a_typo_is_corrected_to_the_closest_indexed_word():
    plan = search.plan_query("lamda concurency", VOCABULARY, complete_last=False)
    assert [group.correction for group in plan.groups] == ["lambda", "concurrency"]
    assert plan.corrected_query() == "lambda concurrency"
    assert ("lambda",) in plan.groups[0].alternatives and ("lamda",) in plan.groups[0].alternatives


def test_a_known_word_is_not_corrected():
    plan = search.plan_query("lamp", VOCABULARY, complete_last=False)
    assert not plan.corrected and plan.groups[0].alternatives == [("lamp",)]


def test_the_last_word_is_completed_from_the_vocabulary():
    plan = search.plan_query("reserved concurr", VOCABULARY)
    assert plan.groups[0].alternatives == [("reserved",)]  # only the last word
    assert ("concurrency",) in plan.groups[1].alternatives and ("concurrent",) in plan.groups[1].alternatives
    assert not plan.corrected  # a prefix of indexed words is not a typo


def test_a_finished_last_word_is_not_completed():
    plan = search.plan_query("lamp", VOCABULARY, complete_last=False)
    assert plan.groups[0].alternatives == [("lamp",)]


def test_abbreviations_expand_to_what_the_sheets_spell_out():
    plan = search.plan_query("dlq", VOCABULARY, complete_last=False)
    assert ("dead", "letter", "queue") in plan.groups[0].alternatives
    assert ("dead", "letter") in plan.groups[0].alternatives
    for abbreviation, phrase in [("esm", ("event", "source", "mapping")), ("acu", ("capacity", "unit")),
                                 ("rcu", ("read", "capacity", "unit")), ("wcu", ("write", "capacity", "unit"))]:
        assert phrase in search.plan_query(abbreviation, Vocabulary({}), complete_last=False).groups[0].alternatives


def test_a_spelled_out_service_name_finds_the_abbreviation():
    plan = search.plan_query("dynamodb", Vocabulary({"dynamodb": 1}), complete_last=False)
    assert ("ddb",) in plan.groups[0].alternatives


def test_fts5_expression_quotes_phrases_and_joins_alternatives():
    group = Group(word="dlq", alternatives=[("dlq",), ("dead", "letter")])
    assert search.fts5_expression(group) == '"dlq" OR "dead letter"'


def test_tsquery_expression_chains_phrases():
    group = Group(word="dlq", alternatives=[("dlq",), ("dead", "letter")])
    assert search.tsquery_expression(group) == "dlq | (dead <-> letter)"


def test_query_words_cannot_inject_engine_syntax():
    plan = search.plan_query('sqs" OR * NEAR(a b) :* & !x', Vocabulary({}), complete_last=False)
    for group in plan.groups:
        for phrase in group.alternatives:
            assert all(word.isalnum() for word in phrase)


GROUP_SQS = [Group(word="sqs", alternatives=[("sqs",)])]


def test_title_matches_rank_above_a_sheet_that_mentions_the_word_more():
    sheets = {1: ("AWS serverless options at a glance", ["Lambda", "SQS"]), 2: ("Amazon SQS", ["SQS"])}
    matches = [Match(0, 10, 1, 50.0), Match(0, 20, 2, 1.0)]
    assert [sheet.sheet_id for sheet in search.rank_sheets(matches, sheets, GROUP_SQS)] == [2, 1]


def test_the_title_closest_to_the_query_wins_among_title_matches():
    sheets = {1: ("SQS vs SNS vs Kinesis Data Streams", []), 2: ("Amazon SQS", [])}
    matches = [Match(0, 10, 1, 9.0), Match(0, 20, 2, 1.0)]
    assert [sheet.sheet_id for sheet in search.rank_sheets(matches, sheets, GROUP_SQS)] == [2, 1]


def test_every_group_must_match_somewhere_in_the_sheet():
    groups = [Group("timeout", [("timeout",)]), Group("pricing", [("pricing",)])]
    sheets = {1: ("AWS Lambda", []), 2: ("Amazon SQS", [])}
    # Sheet 1 has both words, in different sections; sheet 2 only one of them.
    matches = [Match(0, 10, 1, 1.0), Match(1, 11, 1, 1.0), Match(0, 20, 2, 5.0)]
    assert [sheet.sheet_id for sheet in search.rank_sheets(matches, sheets, groups)] == [1]


def test_the_section_to_open_matches_the_most_words_then_scores_best():
    groups = [Group("visibility", [("visibility",)]), Group("timeout", [("timeout",)])]
    matches = [Match(0, 10, 1, 9.0), Match(0, 11, 1, 1.0), Match(1, 11, 1, 1.0), Match(1, 12, 1, 3.0)]
    ranked = search.rank_sheets(matches, {1: ("Amazon SQS", [])}, groups)
    assert ranked[0].entry_id == 11 and ranked[0].other_entry_ids == [10, 12]


def test_highlight_escapes_and_marks_whole_words_from_their_start():
    assert search.highlight("<b>SQS</b> queues", ["sqs", "queue"]) == "&lt;b&gt;<mark>SQS</mark>&lt;/b&gt; <mark>queues</mark>"
    assert search.highlight("FIFO is not IFO", ["ifo"]) == "FIFO is not <mark>IFO</mark>"


def test_highlight_marks_a_phrase_across_a_hyphen():
    assert search.highlight("a dead-letter queue", ["dead letter"]) == "a <mark>dead-letter</mark> queue"


def test_snippet_cuts_around_the_first_match():
    text = "word " * 100 + "needle " + "word " * 100
    out = search.snippet(text, ["needle"], radius=20)
    assert out.startswith("…") and out.endswith("…") and "<mark>needle</mark>" in out
    assert len(out) < 80


def test_index_entries_put_the_summary_in_the_intro_and_the_title_in_every_section():
    sections = [{"id": "", "title": "", "text": "Intro."}, {"id": "key-numbers", "title": "Key numbers", "text": "15 min"}]
    entries = search.index_entries(title="AWS Lambda", services=["Lambda"], summary="Run code.", sections=sections)
    assert [(entry["anchor"], entry["body"]) for entry in entries] == [("", "Run code. Intro."), ("key-numbers", "15 min")]
    assert {entry["sheet_title"] for entry in entries} == {"AWS Lambda"}


def test_the_snippet_shows_the_word_the_title_does_not_answer():
    plan = search.plan_query("lambda concurrency", VOCABULARY, complete_last=False)
    focus = search.focus_terms(plan, "AWS Lambda")
    assert focus == ["concurrency"]
    text = "Lambda runs code. " + "filler " * 40 + "Reserved concurrency caps a function."
    out = search.snippet(text, plan.highlight_terms(), radius=30, focus=focus)
    assert "<mark>concurrency</mark>" in out and out.startswith("…")

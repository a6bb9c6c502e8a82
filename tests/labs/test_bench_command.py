"""`manage.py lab bench` reaches each lab's benchmark (the benchmarks themselves run for minutes
against a real sandbox and worker: their figures are in docs/labs.md), and judges a ratio against
the 1.5x budget."""

import io

import pytest
from django.core.management import CommandError, call_command

from labs.bench import fullstack, video


@pytest.mark.parametrize(("module", "function", "args"), [
    (fullstack, "run_bench", []), (video, "run_video_bench", ["--lab", "video"])])
def test_the_command_runs_the_chosen_labs_benchmark(monkeypatch, module, function, args):
    calls = []
    monkeypatch.setattr(module, function, lambda *, rounds, out: calls.append(rounds))
    call_command("lab", "bench", "--rounds", "3", *args, stdout=io.StringIO())
    assert calls == [3]


def test_at_least_one_round():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("lab", "bench", "--rounds", "0", stdout=io.StringIO())

"""run_site keeps the site up when a child dies (issue 15: the task worker died on a locked
database and took the site with it), and stops only a child that keeps dying."""

import sys
import time

from courseware.management.commands.run_site import Supervisor


def _wait_for(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_child_that_exits_is_started_again_and_the_others_keep_running(tmp_path):
    said = []
    marker = tmp_path / "starts"
    flaky = [sys.executable, "-c", f"open({str(marker)!r}, 'a').write('x'); import sys; sys.exit(3)"]
    steady = [sys.executable, "-c", "import time; time.sleep(30)"]
    supervisor = Supervisor({"worker": flaky, "web": steady}, say=said.append, limit=5, window=60)
    supervisor.start_all()
    web = supervisor.children["web"].pid
    try:
        assert _wait_for(lambda: supervisor.children["worker"].poll() is not None)
        assert supervisor.check() is None
        assert _wait_for(lambda: marker.exists() and len(marker.read_text()) == 2)
        assert any("worker exited with code 3; starting it again" in line for line in said)
        assert supervisor.children["web"].pid == web and supervisor.children["web"].poll() is None
    finally:
        supervisor.stop_all(grace=2)


def test_a_child_that_keeps_dying_stops_the_site_with_its_code():
    said = []
    supervisor = Supervisor({"worker": [sys.executable, "-c", "import sys; sys.exit(4)"]}, say=said.append,
                            limit=3, window=60)
    supervisor.start_all()
    try:
        code = None
        for _ in range(3):
            assert _wait_for(lambda: supervisor.children["worker"].poll() is not None)
            code = supervisor.check()
        assert code == 4
        assert "worker exited with code 4, 3 times in 60 s; stopping the site" in said[-1]
    finally:
        supervisor.stop_all(grace=2)


def test_the_development_site_refuses_https_mode(settings):
    """Issue 15: with HTTPS=1 the development server treated plain HTTP as HTTPS."""
    import pytest
    from django.core.management import CommandError, call_command

    settings.HTTPS = True
    with pytest.raises(CommandError, match="serves plain HTTP only: unset HTTPS"):
        call_command("run_site")

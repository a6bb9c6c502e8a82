"""The work every web process would otherwise do on its first requests, done once in gunicorn's
master before it forks the workers (courseware/gunicorn.conf.py, preload_app): import the URL
patterns, compile the site's templates, load the lab catalogue. A worker forked after it (at
start, or when one is replaced after WEB_MAX_REQUESTS) answers its first request as fast as its
thousandth. It touches no database and no cache: a connection opened in the master would be
shared by every worker forked from it."""

from pathlib import Path

from django.conf import settings

APPS = ("courseware", "cheatsheets", "quizzes", "labs")


def warm_up() -> dict:
    from django.template import engines
    from django.urls import get_resolver, reverse

    get_resolver().url_patterns
    reverse("home")  # fills the resolver's reverse table
    engine = engines["django"]
    templates = 0
    for app in APPS:
        root = Path(settings.BASE_DIR) / app / "templates"
        for path in sorted(root.rglob("*.html")):
            engine.get_template(path.relative_to(root).as_posix())
            templates += 1
    from courseware import paths
    from labs.catalog import all_labs

    labs = len(all_labs())
    paths.lab_steps_for_services([])  # the catalogue's step index
    return {"templates": templates, "labs": labs}

"""The labs this site offers: one module per lab, each declaring ``LAB``.

Add a lab by writing ``labs/catalog/<name>.py`` and listing it in ``MODULES`` (in the
order the labs index shows them).
"""

from functools import cache
from importlib import import_module

MODULES = ("fullstack", "video")


@cache
def all_labs() -> tuple:
    return tuple(import_module(f"labs.catalog.{name}").LAB for name in MODULES)


def get_lab(slug: str):
    """The lab with this slug, or None."""
    return next((lab for lab in all_labs() if lab.slug == slug), None)

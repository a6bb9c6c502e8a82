"""The labs this site offers: one folder per lab, each a package declaring ``LAB``.

Add a lab by adding ``labs/catalog/<name>/`` (its ``__init__`` declares ``LAB``; ``order``
places it on the labs index). Nothing else in the site needs to change.
"""

import pkgutil
from functools import cache
from importlib import import_module


@cache
def all_labs() -> tuple:
    found = [import_module(f"{__name__}.{module.name}").LAB
             for module in pkgutil.iter_modules(__path__) if module.ispkg]
    return tuple(sorted(found, key=lambda lab: (lab.order, lab.slug)))


def get_lab(slug: str):
    """The lab with this slug, or None."""
    return next((lab for lab in all_labs() if lab.slug == slug), None)

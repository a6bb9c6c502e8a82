"""The path from a question to the lab step that builds what it asks about, for the quiz templates
(composed in the shell, like the rest of courseware.paths: the apps do not import each other)."""

from django import template

from courseware import paths

register = template.Library()


@register.simple_tag
def lab_steps_for(services):
    return paths.lab_steps_for_services(services or [])

"""Plain ``<input>`` widgets written out in Python, the rest by Django's templates.

Django renders every widget through its template engine: for one ``<input>``
tag, three nested templates (the widget's own, ``input.html``, ``attrs.html``).
On the login page, the one page every sign-in loads, that was a third of the
page's rendering. For the widgets whose template is only ``input.html`` the
markup is built here instead, the same bytes as the templates make
(``tests/accounts/test_form_rendering.py`` compares them); every other widget
is rendered by the templates as before.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

# Django's widget templates that consist of {% include "django/forms/widgets/input.html" %} alone.
INPUT_ONLY_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in ("checkbox", "color", "date", "datetime", "email", "file", "hidden", "number", "password",
                 "search", "tel", "text", "time", "url")
)


class InputWidgetRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name not in INPUT_ONLY_TEMPLATES:
            return super().render(template_name, context, request)
        return input_tag(context["widget"])


def input_tag(widget: dict) -> SafeString:
    """What ``input.html`` and ``attrs.html`` make of ``widget`` (stripped, as the
    renderer strips), every value escaped as the templates' autoescaping does."""
    parts = ['<input type="', conditional_escape(widget["type"]), '" name="', conditional_escape(widget["name"]), '"']
    if widget["value"] is not None:
        parts += [' value="', conditional_escape(widget["value"]), '"']
    for name, value in widget["attrs"].items():
        if value is not False:
            parts += [" ", conditional_escape(name)]
            if value is not True:
                parts += ['="', conditional_escape(value), '"']
    parts.append(">")
    return mark_safe("".join(parts))

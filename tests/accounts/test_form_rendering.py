"""Input widgets written out in Python make the same bytes as Django's templates."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from accounts.form_rendering import INPUT_ONLY_TEMPLATES, InputWidgetRenderer
from accounts.forms import LoginForm, RegistrationForm

WIDGETS = [
    forms.TextInput, forms.EmailInput, forms.PasswordInput, forms.HiddenInput, forms.NumberInput, forms.URLInput,
    forms.SearchInput, forms.TelInput, forms.ColorInput, forms.DateInput, forms.DateTimeInput, forms.TimeInput,
    forms.FileInput, forms.CheckboxInput,
]
VALUES = [None, "", "plain", 'quote " amp & lt < gt > apos \'', mark_safe("<b>safe</b>"), 42, 0, "ünïcødé ✓",
          gettext_lazy("lazy"), True, False]
ATTRS = [{}, {"autofocus": True, "required": False, "maxlength": 254, "placeholder": 'a "b" <c>', "data-x": "&", "tabindex": 0, "title": ""},
         {"class": mark_safe("<kept>"), "aria-label": gettext_lazy("Email")}]


@pytest.mark.parametrize("widget_class", WIDGETS, ids=lambda w: w.__name__)
def test_every_input_widget_renders_the_bytes_of_djangos_templates(widget_class):
    assert widget_class.template_name in INPUT_ONLY_TEMPLATES
    ours, djangos = InputWidgetRenderer(), DjangoTemplates()
    for value in VALUES:
        for attrs in ATTRS:
            widget = widget_class(attrs=attrs)
            assert widget.render("field", value, renderer=ours) == widget.render("field", value, renderer=djangos), (value, attrs)


def test_other_widgets_are_left_to_the_templates():
    widget = forms.Select(choices=[("a", "A & B"), ("b", "<B>")])
    assert widget.render("pick", "b", renderer=InputWidgetRenderer()) == widget.render("pick", "b", renderer=DjangoTemplates())
    assert "<option" in widget.render("pick", "b", renderer=InputWidgetRenderer())


@pytest.mark.parametrize("form_class", [LoginForm, RegistrationForm])
def test_the_pages_forms_render_as_before_bound_or_not(form_class):
    data = {"email": 'x"@example.org', "password": "secret", "name": "<Ada>"}
    for args in ((), (data,)):
        ours, djangos = form_class(*args, renderer=InputWidgetRenderer()), form_class(*args, renderer=DjangoTemplates())
        assert [str(field) for field in ours] == [str(field) for field in djangos]
        assert str(ours) == str(djangos)
    assert "secret" not in str(form_class(data)["password"])  # password inputs never echo the value


def test_the_settings_use_it(settings):
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), InputWidgetRenderer)

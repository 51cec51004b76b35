"""Forms rendered by the design system: a field is its label, hint, input and error, tied
together with ``aria-describedby`` (Django adds it and ``aria-invalid``), and the first
invalid field takes the focus when the page comes back."""

from __future__ import annotations

from django import forms
from django.forms.renderers import DjangoTemplates


class DesignRenderer(DjangoTemplates):
    form_template_name = "ui/form.html"
    field_template_name = "ui/field.html"


class FocusFirstError:
    """Mixin for forms: after validation, only the first field with an error has ``autofocus``."""

    def full_clean(self) -> None:
        super().full_clean()
        invalid = [name for name in self.fields if name in self.errors]
        if invalid:
            for field in self.fields.values():
                field.widget.attrs.pop("autofocus", None)
            self.fields[invalid[0]].widget.attrs["autofocus"] = True


class DesignedForm(FocusFirstError, forms.Form):
    pass

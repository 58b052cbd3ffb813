"""What the journey pages show, written in Python: the form fields' inputs and selects.

WTForms' widgets format every attribute through `Markup.format` (`string.Formatter`): a third of the form page's
rendering. The HTML is the same as the widgets wrote, escaped the same way (markupsafe's table): every value goes
through `escape` unless it already is HTML (`__html__`), and only `Html` built from escaped parts is marked safe
for the templates' autoescape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from wtforms.widgets import CheckboxInput, DateInput, EmailInput, HiddenInput, Select, TelInput, TextInput

# markupsafe's table, so the pages read exactly as when Jinja escaped these values.
_ESCAPES = str.maketrans({"&": "&amp;", ">": "&gt;", "<": "&lt;", "'": "&#39;", '"': "&#34;"})


class Html(str):
    """A fragment of HTML whose every value was escaped: Jinja inserts it as is (the `__html__` protocol)."""

    __slots__ = ()

    def __html__(self) -> str:
        return self


def escape(value: Any) -> str:
    """Text for HTML, as markupsafe escapes it; what already is HTML (a WTForms field, `Html`) stays as it is."""
    html = getattr(value, "__html__", None)
    if html is not None:
        return html()
    return str(value).translate(_ESCAPES)


# WTForms widgets ---------------------------------------------------------------------------------------------

# The widgets whose output `widget_html` writes itself; any other (or a subclass) keeps WTForms' rendering.
_INPUTS = frozenset({TextInput, DateInput, EmailInput, TelInput, HiddenInput, CheckboxInput})


def widget_html(field: Any, attrs: dict[str, Any]) -> str | None:
    """What WTForms' own widget writes for `field` with `attrs` (same attributes, same order, same escaping),
    without formatting each attribute through `Markup.format`; None when the widget is not one of ours to write.
    `attrs` are already cleaned of their trailing or inner underscores (`Meta.render_field`)."""
    widget = field.widget
    kind = type(widget)
    if kind in _INPUTS and getattr(field, "_datalist", None) is None:
        if kind is CheckboxInput and getattr(field, "checked", field.data):
            attrs.setdefault("checked", True)
        attrs.setdefault("id", field.id)
        attrs.setdefault("type", widget.input_type)
        if "value" not in attrs:
            attrs["value"] = field._value()
        _flags(field, widget.validation_attrs, attrs)
        attrs["name"] = field.name
        return f"<input {_params(attrs)}>"
    if kind is Select and not widget.multiple and not field.has_groups():
        attrs.setdefault("id", field.id)
        _flags(field, widget.validation_attrs, attrs)
        attrs["name"] = field.name
        return f"<select {_params(attrs)}>{''.join(_option(*choice) for choice in field.iter_choices())}</select>"
    return None


def clean_keys(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Attribute names as WTForms writes them: `class_` → class, `aria_label` → aria-label."""
    cleaned = {}
    for key, value in attrs.items():
        key = key.rstrip("_")
        if key.startswith(("data_", "aria_")):
            key = key.replace("_", "-")
        cleaned[key] = value
    return cleaned


def _flags(field: Any, names: Iterable[str], attrs: dict[str, Any]) -> None:
    flags = vars(field.flags)
    for name in names:
        if name in flags and name not in attrs:
            value = flags[name]
            attrs[name] = value() if callable(value) else value


def _params(attrs: Mapping[str, Any]) -> str:
    # wtforms.widgets.html_params: sorted by name; True alone, False left out; quotes never raw in a value.
    return " ".join(name if value is True else f'{name}="{escape(value).replace(chr(34), "&quot;")}"'
                    for name, value in sorted(attrs.items()) if value is not False)


def _option(value: Any, text: Any, selected: bool, render_kw: Mapping | None) -> str:
    attrs = {"value": str(value) if isinstance(value, bool) else value, **(render_kw or {})}
    if selected:
        attrs["selected"] = True
    return f"<option {_params(attrs)}>{escape(text or value)}</option>"

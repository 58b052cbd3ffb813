"""What the journey pages show, in Python rather than Jinja macros: a value as it is read, where it comes from, the
read-only facts of a group, and the form fields with their label, hint and error.

A Jinja macro call costs about ten Python calls, and the pages made some 290 of them per journey; WTForms' widgets
format every attribute through `string.Formatter`. The HTML is the same as the macros and widgets wrote, escaped
the same way (markupsafe): every value goes through `escape` unless it already is HTML (`__html__`), and only a
`Markup` built from escaped parts is marked safe for the templates' autoescape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import markupsafe
from jinja2.filters import do_title
from markupsafe import Markup
from wtforms.widgets import CheckboxInput, DateInput, EmailInput, HiddenInput, Select, TelInput, TextInput
from wtforms.widgets.core import clean_key

from app import extensions
from app.formats import date_fr, datetime_fr, nir_fr
from app.journeys import labels

# The fields whose FranceConnect value is only a suggestion, which the person may change.
_PROPOSED = frozenset({"email", "account_holder", "guardian1_name"})


def escape(value: Any) -> str:
    """Text for HTML, escaped by markupsafe as Jinja escapes it; what already is HTML (a WTForms field, `Markup`)
    stays as it is. A plain `str`, to be put together with other escaped parts in a `Markup` at the end."""
    return str(markupsafe.escape(value))


def _get(v: Any, key: str) -> Any:
    # A value with provenance is a prefill `Value`, or a mapping (a dossier's content, a page's literal).
    # (`type(…) is dict` first: an isinstance check against the Mapping ABC costs more than the lookup.)
    return v.get(key) if type(v) is dict or isinstance(v, Mapping) else getattr(v, key, None)


# Values ------------------------------------------------------------------------------------------------------

def source_text(v: Any, name: str | None = None) -> str:
    """Where a value comes from, in the person's words."""
    source = _get(v, "source")
    if source == "franceconnect":
        return "Proposé par FranceConnect" if name in _PROPOSED else "Certifié par FranceConnect"
    if source == "cnam":
        return "Transmis par l’Assurance Maladie " + datetime_fr(_get(v, "at"))
    if source == "api_particulier":
        return "Transmis par la Sécurité sociale (API Particulier) " + datetime_fr(_get(v, "at"))
    if source == "organisation":
        return "Transmis par l’établissement"
    return "Déclaré par vous"


def shown(name: str, v: Any, birth_place: Callable[[str], str | None] | None = None) -> str:
    """A value as the person reads it (text, not HTML). `birth_place` names a commune from its INSEE code."""
    value, source = _get(v, "value"), _get(v, "source")
    if value is None or value == "":
        return _absent(name, value, source)
    if value is True:
        return "Oui"
    if value is False:
        return "Non"
    if name == "exoneration" and source == "cnam":
        return " ; ".join(_exoneration(exo) for exo in value) if value else "Aucune"
    return _formatted(name, value, source, birth_place)


def _absent(name: str, value: Any, source: Any) -> str:
    # None is « not declared » for these two; an empty text is not.
    if name == "medecin_traitant" and value is None:
        return "Aucun médecin traitant déclaré"
    if name == "amo_end" and value is None:
        return "Sans date de fin"
    if name == "birth_place" and source == "franceconnect":
        return "Né(e) à l’étranger"
    return "Aucun" if name == "usage_name" else "Non renseigné"


def _exoneration(exo: Mapping) -> str:
    text = exo.get("label") or "Exonération"
    if exo.get("start"):
        text += " depuis le " + date_fr(exo["start"])
    if exo.get("end"):
        text += " jusqu’au " + date_fr(exo["end"])
    return text


def _formatted(name: str, value: Any, source: Any, birth_place: Callable[[str], str | None] | None) -> str:
    if name in labels.DATES:
        return date_fr(value)
    if name in labels.NIRS:
        return nir_fr(value)
    if name.endswith("phone") and isinstance(value, str) and value.startswith("+33") and len(value) == 12:
        return f"0{value[3]} {value[4:6]} {value[6:8]} {value[8:10]} {value[10:12]}"
    if name == "iban":
        return " ".join(value[i:i + 4] for i in range(0, len(value), 4))
    if name in labels.CODES:
        return labels.CODES[name].get(value, value)
    if source == "franceconnect" and name == "birth_place":
        return (birth_place(value) if birth_place else None) or f"Commune de code INSEE {value}"
    if source == "franceconnect" and name == "birth_country":
        return "France" if value == "99100" else f"Étranger (code pays INSEE {value})"
    if source == "cnam" and name == "medecin_traitant":
        return f"Dr {value}"
    if source == "cnam" and name == "first_names":
        return do_title(value)  # Jean-Pierre D’arc: not `str.title`, which capitalises after « ’ »
    return str(value)


# Read-only facts ---------------------------------------------------------------------------------------------

def _birth_place() -> Callable[[str], str | None] | None:
    communes = extensions.services().communes
    return communes.birth_place if communes is not None else None


def fact(name: str, v: Any, label: str | None = None, with_source: bool = True) -> Markup:
    """One read-only fact inside a `<dl class="facts">`: its label, its value and, unless its group says it
    once, where it comes from."""
    return Markup(_fact(name, v, label, with_source, _birth_place()) if v else "")


def _fact(name: str, v: Any, label: str | None, with_source: bool,
          birth_place: Callable[[str], str | None] | None) -> str:
    html = (f'\n<dt>{escape(label or labels.FIELDS.get(name, ""))}</dt>\n<dd><span class="value" '
            f'data-field="{escape(name)}" data-source="{escape(_get(v, "source"))}">'
            f"{escape(shown(name, v, birth_place))}</span>")
    if with_source:
        html += f'\n  <span class="source">{escape(source_text(v, name))}</span>'
    return html + "</dd>\n"


def facts(id: str, items: Iterable) -> Markup:  # noqa: A002 - the element id the group's source is named by
    """A group's read-only facts, `items` (name, value with provenance or nothing, label or nothing). When two or
    more share one source it is said once, before them, and describes the list (aria-describedby), so a screen
    reader still announces each value with its source; otherwise each fact says its own. `id` is unique on the
    page."""
    return _group(id, [(name, v, label) for name, v, label in items if v])


def named_facts(id: str, names: Iterable[str], values: Mapping) -> Markup:  # noqa: A002
    """The facts among `names` that `values` (a dossier's fields) holds, as one group."""
    return _group(id, [(name, v, None) for name in names if (v := values.get(name))])


def present(names: Iterable[str], values: Mapping) -> list[str]:
    """The names among `names` that `values` holds, in their order."""
    return [name for name in names if name in values]


def certified_facts(id: str, names: Iterable[str], prefill: Any) -> Markup:  # noqa: A002
    """The form's certified values among `names` (a prefill: its values and what it certifies), as one group."""
    return _group(id, [(name, prefill.values[name], None) for name in names if prefill.certified(name)])


def _group(id: str, shown_facts: list) -> Markup:  # noqa: A002
    if not shown_facts:
        return Markup("")
    birth_place = _birth_place()
    said = list(dict.fromkeys(source_text(v, name) for name, v, _ in shown_facts))
    if len(shown_facts) > 1 and len(said) == 1:
        group = escape(id)
        body = "".join(_fact(name, v, label, False, birth_place) for name, v, label in shown_facts)
        return Markup(f'\n<p class="source source--group" id="{group}-source">{escape(said[0])}</p>\n'
                    f'<dl class="facts" aria-describedby="{group}-source">{body}\n</dl>')
    body = "".join(_fact(name, v, label, True, birth_place) for name, v, label in shown_facts)
    return Markup(f'\n<dl class="facts">{body}\n</dl>')


# Form fields -------------------------------------------------------------------------------------------------

def label(field: Any, required: bool | None = None) -> Markup:
    """The field's label; « (facultatif) » unless it is required (`required` overrides the field's flag when the
    page knows better: a conditionally mandatory field)."""
    needed = field.flags.required if required is None else required
    optional = "" if needed else ' <span class="optional">(facultatif)</span>'
    return Markup(f'<label for="{escape(field.id)}">{escape(field.label.text)}{optional}</label>')


def hint_and_error(field: Any, hint: str | None) -> Markup:
    html = f'<p class="hint" id="{escape(field.id)}-hint">{escape(hint)}</p>' if hint else ""
    if field.errors:
        html += (f'\n<p class="field-error" id="{escape(field.id)}-error"><span class="visually-hidden">Erreur : '
                 f"</span>{escape(field.errors[0])}</p>")
    return Markup(html)


def control(field: Any, hint: str | None = None, autocomplete: str | None = None, inputmode: str | None = None,
            extra: Mapping | None = None) -> Markup:
    """The input or select itself, described by its hint and error for screen readers."""
    attrs: dict[str, Any] = {}
    described = []
    if hint:
        described.append(f"{field.id}-hint")
    if field.errors:
        described.append(f"{field.id}-error")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if autocomplete:
        attrs["autocomplete"] = autocomplete
    if inputmode:
        attrs["inputmode"] = inputmode
    if extra:
        attrs.update(extra)
    return Markup(field(**attrs))


def text_input(field: Any, hint: str | None = None, autocomplete: str | None = None, inputmode: str | None = None,
               extra: Mapping | None = None, required: bool | None = None) -> Markup:
    """A field with its label, hint and error. Nothing for a field the form does not ask (certified)."""
    if not field:
        return Markup("")
    attrs = dict(extra or {}, required=True) if required else extra
    return Markup(f'\n<div class="field{" field--error" if field.errors else ""}">\n  {label(field, required)}\n  '
                f"{hint_and_error(field, hint)}\n  {control(field, hint, autocomplete, inputmode, attrs)}\n</div>\n")


def checkbox(field: Any, hint: str | None = None) -> Markup:
    """A box to tick; its hint after its label, so it reads as belonging to this box and not to the one above."""
    if not field:
        return Markup("")
    after = f'\n    <p class="hint choice__hint" id="{escape(field.id)}-hint">{escape(hint)}</p>' if hint else ""
    return Markup(f'\n<div class="field field--checkbox{" field--error" if field.errors else ""}">\n  '
                f'{hint_and_error(field, None)}\n  <div class="choice">\n    {control(field, hint)}\n    '
                f'<label for="{escape(field.id)}">{escape(field.label.text)}</label>{after}\n  </div>\n</div>\n')


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
    return {clean_key(key): value for key, value in attrs.items()}


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

"""Messages the desk's rules give people, kept translatable without `models/` knowing Flask.

`N_("a justification is required: %(why)s", why=...)` is an English `str` (the API, the command
line and the tests read it as it is) that also keeps its template and values, so the pages can
give it in the page's language (`views.pages.present.message`). Babel extracts every `N_`
template of `models/` into the catalogue, where the Swedish is kept with the desk's other strings.
A value may itself be a message; anything else (ids, codes, numbers) is shown as it is.
"""

from __future__ import annotations

from typing import Any


class Message(str):
    template: str
    values: dict[str, Any]

    def __new__(cls, template: str, **values: Any) -> Message:
        text = super().__new__(cls, template % values if values else template)
        text.template, text.values = template, values
        return text


def N_(template: str, **values: Any) -> Message:  # noqa: N802 - the gettext convention
    return Message(template, **values)

"""A policy in sentences for its page: rules, tiers, criteria, targets and their slots, tables,
declared elements, dispositions and settings, read from the validated policy.

Conditions are put into words by the engine's own wording (`engine.wording`), the words every
explanation uses; this module only frames them ("Applies when …") in the page's language, and
shows vocabulary URIs inside them by their labels (`views.pages.labels`).
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup, escape

from engine.wording import group_text, label_of
from rules.numbers import plain
from rules.policy import Group, Policy
from views.pages.labels import label_for, policy_labels
from views.pages.policy_texts import policy_text
from views.pages.present import level_label

URI = re.compile(r"https?://[^\s;,\]\)]+")


def with_labels(text: str, labels: dict[str, str]) -> Markup:
    """Words with every URI in them shown by its label (the URI in the label's title)."""
    out, last = [], 0
    for found in URI.finditer(text):
        out += [escape(text[last : found.start()]), Markup(label_for(found.group(), None, labels))]
        last = found.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def _aspect(name: str) -> str:
    return {
        "level": _("Level"),
        "workload": _("Workload"),
        "quality": _("Quality"),
        "profile": _("Profile"),
        "learning_outcomes": _("Learning outcomes"),
        "requirements": _("Requirements"),
    }.get(name, name.replace("_", " "))


def _number(value: Any) -> str:
    return str(plain(value)) if value is not None else ""


class Words:
    """The sentences of one policy (every method returns plain data for the template)."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.catalogue = policy.catalogue
        self.labels = policy_labels(policy)

    def when(self, group: Group | None) -> Markup | None:
        if group is None or not group.items:
            return None
        return with_labels(group_text(group, self.catalogue), self.labels)

    def settings(self) -> list[str]:
        s = self.policy.settings
        hours = s.hours_per_ects
        out = [_("One ECTS credit is %(h)s hours of study.", h=_number(hours))]
        if s.double_counting == "forbidden":
            out.append(_("A credential counts towards one award only."))
        else:
            out.append(_("A credential may count towards several awards."))
        if s.overlap_element:
            out.append(
                _(
                    "Credentials sharing at least %(share)s%% of their %(what)s count once.",
                    share=round(float(s.overlap_min_share) * 100),
                    what=label_of(s.overlap_element, self.catalogue),
                )
            )
        return out

    def tier(self, tier: Any) -> str:
        aspects = ", ".join(_aspect(a) for a in tier.requires) or _("nothing more")
        words = _("%(level)s when these are met: %(aspects)s", level=level_label(tier.level),
                  aspects=aspects)  # fmt: skip
        if tier.recognised_as:
            words += "; " + _("recognised as %(what)s", what=policy_text(tier.recognised_as))

        if tier.credits is not None:
            words += "; " + _("%(n)s credits", n=_number(tier.credits))
        return words + "."

    def recognition(self) -> list[dict[str, Any]]:
        return [
            {
                "rule": r,
                "applies": self.when(r.applies_to),
                "checks": [(_aspect(a), self.when(g)) for a, g in r.checks],
                "tiers": [self.tier(t) for t in r.tiers],
                "otherwise": level_label(r.otherwise),
            }
            for r in self.policy.recognition
        ]

    def criteria(self) -> list[dict[str, Any]]:
        about = {
            "application": _("the application"),
            "each_credential": _("each credential"),
            "any_credential": _("at least one credential"),
        }
        return [
            {"criterion": c, "about": about.get(c.about, c.about), "when": self.when(c.when),
             "applies": self.when(c.applies_to)}
            for c in self.policy.criteria
        ]  # fmt: skip

    def slot(self, slot: Any) -> str:
        if slot.max is None:
            return _("at least %(n)s credential(s)", n=slot.min)
        if slot.min == slot.max:
            return _("exactly %(n)s credential(s)", n=slot.min)
        return _("%(low)s to %(high)s credential(s)", low=slot.min, high=slot.max)

    def targets(self) -> list[dict[str, Any]]:
        out = []
        for t in self.policy.targets:
            needs = []
            if t.builds_on:
                needs.append(_("Builds on: %(ids)s.", ids=", ".join(t.builds_on)))
            if t.min_total_ects is not None:
                needs.append(_("At least %(n)s ECTS in all.", n=_number(t.min_total_ects)))
            if t.min_count is not None:
                needs.append(_("At least %(n)s credentials.", n=t.min_count))
            if t.max_per_provider is not None:
                needs.append(_("At most %(n)s credentials from one awarding body.",
                               n=t.max_per_provider))  # fmt: skip
            for share in t.shares:
                what = _("of the ECTS") if share.of == "ects" else _("of the credentials")
                needs.append(
                    Markup(escape(_("At least %(p)s%% %(what)s: ", p=round(float(share.min_share)
                                    * 100), what=what))) + self.when(share.when)
                )  # fmt: skip
            for total in t.totals:
                bounds = []
                if total.minimum is not None:
                    bounds.append(_("at least %(n)s", n=_number(total.minimum)))
                if total.maximum is not None:
                    bounds.append(_("at most %(n)s", n=_number(total.maximum)))
                needs.append(_("%(what)s in all: %(bounds)s.", what=label_of(total.of,
                               self.catalogue), bounds=", ".join(bounds)))  # fmt: skip
            out.append({
                "target": t,
                "all": self.when(t.all_credentials),
                "slots": [(s, self.slot(s), self.when(s.when)) for s in t.slots],
                "needs": needs,
            })  # fmt: skip
        return out

    def equivalences(self) -> list[dict[str, Any]]:
        return [{"e": e, "when": self.when(e.when)} for e in self.policy.equivalences]

    def exclusions(self) -> list[dict[str, Any]]:
        return [{"e": e, "when": self.when(e.when)} for e in self.policy.exclusions]

    def classifications(self) -> list[dict[str, Any]]:
        return [
            {"c": c, "rows": [(dict(c.classes).get(r.cls, r.cls), self.when(r.when))
                              for r in c.rows],
             "default": dict(c.classes).get(c.default, c.default) if c.default else None}
            for c in self.policy.classifications
        ]  # fmt: skip

    def declared(self) -> list[dict[str, Any]]:
        subjects = self.catalogue.subjects.values() if self.catalogue else ()
        return [
            {"s": s, "codes": [(code, with_labels(label, self.labels)) for code, label
                                in s.values]}
            for s in subjects
            if s.source in ("declared", "fact")
        ]  # fmt: skip

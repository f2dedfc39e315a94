"""marshmallow schemas of the native credential format: one strict field class per element type.

The same fields read JSON values and CSV cells: `credential_schema(text=True)` is the variant whose
fields parse text cells (numbers written with digits, list items separated by "|"). Fields return
exactly the Python types `engine.inputs.check_value` expects; JSON null means "absent".
"""

from __future__ import annotations

import datetime as dt
import math
import re
from functools import cache
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validates_schema

from models.errors import expected, suggest
from rules.vocabulary import ELEMENTS, PROVENANCE, VOCABULARIES, Element

MAX_TEXT = 10_000  # characters in one text value or list item
MAX_LIST_ITEMS = 1_000
MAX_ID = 200
MAX_CREDENTIALS = 5_000  # per wallet
LIST_SEPARATOR = "|"
COUNTRY_URI = "http://publications.europa.eu/resource/authority/country/"

# ISO 3166-1, alpha-2:alpha-3, all 249 assigned codes (from the Debian iso-codes table), plus
# XK:XKX, the user-assigned code the EU uses for Kosovo. Alpha-3 is what EU country URIs end in.
_ISO_3166 = """
    AD:AND AE:ARE AF:AFG AG:ATG AI:AIA AL:ALB AM:ARM AO:AGO AQ:ATA AR:ARG AS:ASM AT:AUT AU:AUS
    AW:ABW AX:ALA AZ:AZE BA:BIH BB:BRB BD:BGD BE:BEL BF:BFA BG:BGR BH:BHR BI:BDI BJ:BEN BL:BLM
    BM:BMU BN:BRN BO:BOL BQ:BES BR:BRA BS:BHS BT:BTN BV:BVT BW:BWA BY:BLR BZ:BLZ CA:CAN CC:CCK
    CD:COD CF:CAF CG:COG CH:CHE CI:CIV CK:COK CL:CHL CM:CMR CN:CHN CO:COL CR:CRI CU:CUB CV:CPV
    CW:CUW CX:CXR CY:CYP CZ:CZE DE:DEU DJ:DJI DK:DNK DM:DMA DO:DOM DZ:DZA EC:ECU EE:EST EG:EGY
    EH:ESH ER:ERI ES:ESP ET:ETH FI:FIN FJ:FJI FK:FLK FM:FSM FO:FRO FR:FRA GA:GAB GB:GBR GD:GRD
    GE:GEO GF:GUF GG:GGY GH:GHA GI:GIB GL:GRL GM:GMB GN:GIN GP:GLP GQ:GNQ GR:GRC GS:SGS GT:GTM
    GU:GUM GW:GNB GY:GUY HK:HKG HM:HMD HN:HND HR:HRV HT:HTI HU:HUN ID:IDN IE:IRL IL:ISR IM:IMN
    IN:IND IO:IOT IQ:IRQ IR:IRN IS:ISL IT:ITA JE:JEY JM:JAM JO:JOR JP:JPN KE:KEN KG:KGZ KH:KHM
    KI:KIR KM:COM KN:KNA KP:PRK KR:KOR KW:KWT KY:CYM KZ:KAZ LA:LAO LB:LBN LC:LCA LI:LIE LK:LKA
    LR:LBR LS:LSO LT:LTU LU:LUX LV:LVA LY:LBY MA:MAR MC:MCO MD:MDA ME:MNE MF:MAF MG:MDG MH:MHL
    MK:MKD ML:MLI MM:MMR MN:MNG MO:MAC MP:MNP MQ:MTQ MR:MRT MS:MSR MT:MLT MU:MUS MV:MDV MW:MWI
    MX:MEX MY:MYS MZ:MOZ NA:NAM NC:NCL NE:NER NF:NFK NG:NGA NI:NIC NL:NLD NO:NOR NP:NPL NR:NRU
    NU:NIU NZ:NZL OM:OMN PA:PAN PE:PER PF:PYF PG:PNG PH:PHL PK:PAK PL:POL PM:SPM PN:PCN PR:PRI
    PS:PSE PT:PRT PW:PLW PY:PRY QA:QAT RE:REU RO:ROU RS:SRB RU:RUS RW:RWA SA:SAU SB:SLB SC:SYC
    SD:SDN SE:SWE SG:SGP SH:SHN SI:SVN SJ:SJM SK:SVK SL:SLE SM:SMR SN:SEN SO:SOM SR:SUR SS:SSD
    ST:STP SV:SLV SX:SXM SY:SYR SZ:SWZ TC:TCA TD:TCD TF:ATF TG:TGO TH:THA TJ:TJK TK:TKL TL:TLS
    TM:TKM TN:TUN TO:TON TR:TUR TT:TTO TV:TUV TW:TWN TZ:TZA UA:UKR UG:UGA UM:UMI US:USA UY:URY
    UZ:UZB VA:VAT VC:VCT VE:VEN VG:VGB VI:VIR VN:VNM VU:VUT WF:WLF WS:WSM YE:YEM YT:MYT ZA:ZAF
    ZM:ZMB ZW:ZWE
    XK:XKX
"""
ALPHA3_TO_ALPHA2 = {a3: a2 for a2, a3 in (pair.split(":") for pair in _ISO_3166.split())}
ALPHA2 = frozenset(ALPHA3_TO_ALPHA2.values())
# How EU institutions write Greece and the United Kingdom (Interinstitutional Style Guide).
ALPHA2_ALIASES = {"EL": "GR", "UK": "GB"}

_DECIMAL_TEXT = re.compile(r"[0-9]{1,12}(\.[0-9]{1,12})?")
_INTEGER_TEXT = re.compile(r"[0-9]{1,9}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISCED = re.compile(r"[0-9]{2,4}")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
# Lone surrogates (possible through JSON "\ud800" escapes) cannot be stored as UTF-8; NUL breaks
# C-level consumers (SQLite text, the rule engine's JSON).
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")


def match_country(raw: str) -> tuple[str, str] | None:
    """(alpha-2 code, "code" or "uri") for an alpha-2 code or an EU country URI, else None."""
    text = raw.strip()
    for prefix in (COUNTRY_URI, COUNTRY_URI.replace("http:", "https:", 1)):
        if text.lower().startswith(prefix):
            code = ALPHA3_TO_ALPHA2.get(text[len(prefix) :].upper())
            return (code, "uri") if code else None
    code = ALPHA2_ALIASES.get(text.upper(), text.upper())
    return (code, "code") if code in ALPHA2 else None


def _words(text: str) -> str:
    return " ".join(text.split()).casefold()


@cache
def _term_index(vocabulary: str) -> dict[str, tuple[str, str]]:
    """Every accepted spelling of a vocabulary's terms → (code, how it was written)."""
    index: dict[str, tuple[str, str]] = {}
    terms = VOCABULARIES[vocabulary].terms
    for term in terms:
        for word in (term.label, *term.aliases):
            index.setdefault(_words(word), (term.code, "label"))
        for uri in term.uris:
            index[uri] = (term.code, "uri")
    for term in terms:  # a code wins over another term's label spelled the same
        index[_words(term.code)] = (term.code, "code")
    return index


def match_term(vocabulary: str, raw: str) -> tuple[str, str] | None:
    """(code, "code" | "label" | "uri") for a term written any accepted way, else None."""
    index = _term_index(vocabulary)
    return index.get(raw.strip()) or index.get(_words(raw))


def match_provenance(name: str, raw: Any) -> tuple[str, str]:
    """The provenance kind and note a valid raw value earns: EU vocabulary URIs are "vocabulary"."""
    element = ELEMENTS[name]
    found = None
    if isinstance(raw, str) and element.type == "country":
        found = match_country(raw)
    elif isinstance(raw, str) and element.vocabulary:
        found = match_term(element.vocabulary, raw)
    if found and found[1] == "uri":
        return "vocabulary", f"from {raw.strip()}"
    if found and found[1] == "label":
        return "native", f"from the label {raw.strip()!r}"
    return "native", ""


def _range(element: Element) -> str:
    low, high = element.minimum, element.maximum
    if low is not None and high is not None:
        return f" from {low:g} to {high:g}"
    return f" ≥ {low:g}" if low is not None else ""


def _in_range(element: Element, number: float) -> bool:
    low, high = element.minimum, element.maximum
    return (low is None or number >= low) and (high is None or number <= high)


def _text(value: Any, what: str = "non-empty text", limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(expected(what, value))
    if len(value) > limit:
        raise ValidationError(expected(f"{what} of at most {limit:,} characters", value))
    bad = _BAD_CHARS.search(value)
    if bad:
        raise ValidationError(
            expected(f"{what} without the character U+{ord(bad.group()):04X}", value)
        )
    return value


class ElementField(fields.Field):
    """Base of the element fields: reads a JSON value, or a CSV cell when `text` is set."""

    def __init__(self, element: Element, text: bool = False, **kwargs: Any):
        super().__init__(allow_none=True, **kwargs)  # JSON null = absent, dropped after loading
        self.element = element
        self.text = text


class NumberField(ElementField):
    """decimal → float, integer → int: a JSON number (never a string or a boolean), or digits."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        whole = self.element.type == "integer"
        what = f"a {'whole ' if whole else ''}number{_range(self.element)}"
        if self.text:
            cell = value.strip() if isinstance(value, str) else ""
            pattern = _INTEGER_TEXT if whole else _DECIMAL_TEXT
            if not pattern.fullmatch(cell):
                fix = cell.replace(",", ".")  # a decimal comma: suggest the point
                fix = fix if not whole and pattern.fullmatch(fix) else None
                raise ValidationError(expected(f"{what}, written in digits", value, fix))
            number: float = int(cell) if whole else float(cell)
        elif isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
            raise ValidationError(expected(what, value))  # 6.5 is an error, not 6; "5" too
        else:
            try:
                number = value if whole else float(value)
            except OverflowError:  # an integer too large for a float
                number = math.inf
        if not math.isfinite(number) or not _in_range(self.element, number):
            raise ValidationError(expected(what, value))
        return number


class DateField(ElementField):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.date:
        # Parsed YAML (policy examples) already holds dates; a datetime is not a date here.
        if not self.text and isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str) and _DATE.fullmatch(value.strip()):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass  # 2024-02-30 and the like
        raise ValidationError(expected("a date written YYYY-MM-DD", value))


class CountryField(ElementField):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        found = match_country(value) if isinstance(value, str) else None
        if found:
            return found[0]
        alpha2 = ALPHA3_TO_ALPHA2.get(value.strip().upper()) if isinstance(value, str) else None
        what = f"an ISO 3166-1 alpha-2 country code such as 'SE', or a URI {COUNTRY_URI}SWE"
        raise ValidationError(expected(what, value, alpha2))


class TextField(ElementField):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return _text(value).strip() if self.text else _text(value)


class CodeField(ElementField):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        name = self.element.vocabulary or ""
        found = match_term(name, value) if isinstance(value, str) else None
        if found:
            return found[0]
        codes = VOCABULARIES[name].codes()
        spellings = _term_index(name)
        words = [s for s in spellings if ":" not in s]  # suggest codes and labels, not URIs
        guess = suggest(_words(value), words) if isinstance(value, str) else None
        what = f"one of {', '.join(codes)} (or a term's label or EU vocabulary URI)"
        raise ValidationError(expected(what, value, spellings[guess][0] if guess else None))


class IscedField(ElementField):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, str) and _ISCED.fullmatch(value.strip()):
            return value.strip()
        raise ValidationError(
            expected('an ISCED-F code of 2 to 4 digits as text, e.g. "0613"', value)
        )


class ListField(ElementField):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple:
        uri = self.element.type == "uri_list"
        item_what = "an absolute URI (scheme:…)" if uri else "non-empty text"
        if self.text:
            if not isinstance(value, str):
                raise ValidationError(expected(f"items separated by {LIST_SEPARATOR}", value))
            items: list[Any] = [item.strip() for item in value.split(LIST_SEPARATOR)]
        elif isinstance(value, list):
            items = value
        else:
            raise ValidationError(expected(f"a list of {item_what} items", value))
        if len(items) > MAX_LIST_ITEMS:
            raise ValidationError(f"expected at most {MAX_LIST_ITEMS} items; got {len(items)}")
        errors: dict[int, list[str]] = {}
        for i, item in enumerate(items):
            try:
                _text(item, item_what)
                if uri and not _URI.fullmatch(item):
                    raise ValidationError(expected(item_what, item))
            except ValidationError as exc:
                errors[i] = exc.messages  # type: ignore[assignment]
        if errors and self.text:  # a cell has no [i] paths: say which item instead
            raise ValidationError([f"item {i + 1}: {m[0]}" for i, m in errors.items()])
        if errors:
            raise ValidationError(errors)  # type: ignore[arg-type]
        return tuple(items)


class IdField(fields.Field):
    """The credential id: text, unique in its wallet (checked by the caller, across credentials)."""

    def __init__(self, what: str = "the credential's id as text", **kwargs: Any):
        messages = {
            "required": f"expected {what}; it is missing",
            "null": f"expected {what}; got None",
        }
        super().__init__(required=True, error_messages=messages, **kwargs)
        self.what = what

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return _text(value, self.what, MAX_ID).strip()


class TextOnly(fields.Field):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return _text(value)


class KindField(fields.Field):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if value in PROVENANCE:
            return value
        raise ValidationError(
            expected(f"one of {', '.join(PROVENANCE)}", value, suggest(value, PROVENANCE))
        )


class Strict(Schema):
    class Meta:
        unknown = RAISE


class ProvenanceEntrySchema(Strict):
    kind = KindField(required=True, error_messages={"required": "expected a kind; it is missing"})
    source = TextOnly()
    note = TextOnly()


_ENTRY = ProvenanceEntrySchema()


def load_closed(schema: Schema, value: Any, what: str) -> dict:
    """Load a small object with fixed keys, naming each unknown key with a "did you mean"."""
    if not isinstance(value, dict):
        raise ValidationError(expected(what, value))
    keys = tuple(schema.fields)
    errors: dict[Any, Any] = {
        key: [expected(f"one of the keys {', '.join(keys)}", key, suggest(key, keys))]
        for key in value
        if key not in keys
    }
    try:
        loaded = schema.load({k: v for k, v in value.items() if k in keys})
    except ValidationError as exc:
        errors.update(exc.messages)  # type: ignore[arg-type]
    if errors:
        raise ValidationError(errors)
    return loaded


class ProvenanceField(fields.Field):
    """{element name: {kind, source, note}}: where each value came from."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict:
        if not isinstance(value, dict):
            raise ValidationError(expected("an object {element: {kind, source, note}}", value))
        loaded, errors = {}, {}
        for name, entry in value.items():
            try:
                if name not in ELEMENTS:
                    what = "a credential element name"
                    raise ValidationError(expected(what, name, suggest(name, ELEMENTS)))
                loaded[name] = load_closed(_ENTRY, entry, "an object {kind, source, note}")
            except ValidationError as exc:
                errors[name] = exc.messages
        if errors:
            raise ValidationError(errors)
        return loaded


class _CredentialBase(Strict):
    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _provenance_agrees(self, data: dict, original: Any, **kwargs: Any) -> None:
        """kind "absent" exactly when the element has no value, so provenance never contradicts."""
        stated = original.get("provenance") if isinstance(original, dict) else None
        errors = {}
        for name, entry in stated.items() if isinstance(stated, dict) else ():
            kind = entry.get("kind") if isinstance(entry, dict) else None
            if name not in ELEMENTS or kind not in PROVENANCE:
                continue  # reported by ProvenanceField
            if original.get(name) is not None and kind == "absent":
                errors[name] = [
                    expected("a kind other than 'absent' for an element with a value", kind)
                ]
            elif original.get(name) is None and kind != "absent":
                errors[name] = [
                    expected("'absent' (or no entry) for an element without a value", kind)
                ]
        if errors:
            raise ValidationError({"provenance": errors})

    @post_load
    def _split(self, data: dict, **kwargs: Any) -> dict:
        values = {k: v for k, v in data.items() if k in ELEMENTS and v is not None}
        return {"id": data["id"], "values": values, "provenance": data.get("provenance", {})}


_FIELDS = {
    "decimal": NumberField, "integer": NumberField, "date": DateField, "country": CountryField,
    "text": TextField, "code": CodeField, "isced": IscedField, "text_list": ListField,
    "uri_list": ListField,
}  # fmt: skip


@cache
def credential_schema(text: bool = False) -> Schema:
    """The schema of one credential; `text=True` reads CSV cells (and has no provenance key).

    Loading returns {"id", "values" (absent elements left out), "provenance" (as stated)}.
    """
    declared: dict[str, fields.Field] = {
        name: _FIELDS[element.type](element, text) for name, element in ELEMENTS.items()
    }
    declared["id"] = IdField()
    if not text:
        declared["provenance"] = ProvenanceField()
    name = "CsvCredentialSchema" if text else "CredentialSchema"
    return _CredentialBase.from_dict(declared, name=name)()


CREDENTIAL_KEYS = ("id", "provenance", *ELEMENTS)


LEARNER_ID = IdField("the learner's id as text")


class LearnerSchema(Strict):
    """The wallet's learner: personal data, read only to derive the pseudonymous key."""

    id = LEARNER_ID
    name = TextOnly()


class LearnerField(fields.Field):
    default_error_messages = {"null": 'expected an object with "id" and optional "name"; got None'}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict:
        return load_closed(LearnerSchema(), value, 'an object {"id": …, "name": …}')


class CredentialListField(fields.Field):
    """The raw list of credentials; each one is loaded separately so its path is known."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list:
        if not isinstance(value, list):
            raise ValidationError(expected("a list of credential objects", value))
        if len(value) > MAX_CREDENTIALS:
            raise ValidationError(
                f"expected at most {MAX_CREDENTIALS:,} credentials in a wallet; got {len(value):,}"
            )
        return value


class WalletSchema(Strict):
    learner = LearnerField()  # optional: policy examples need no learner; it is then "anonymous"
    credentials = CredentialListField(
        required=True, error_messages={"required": "expected a list of credentials; it is missing"}
    )

"""Vocabulary terms and countries as credentials write them: codes, labels, EU authority URIs."""

from __future__ import annotations

from functools import cache
from typing import Any

from rules.vocabulary import ELEMENTS, VOCABULARIES

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


def match_country(raw: str) -> tuple[str, str] | None:
    """(alpha-2 code, "code" or "uri") for an alpha-2 code or an EU country URI, else None."""
    text = raw.strip()
    for prefix in (COUNTRY_URI, COUNTRY_URI.replace("http:", "https:", 1)):
        if text.lower().startswith(prefix):
            code = ALPHA3_TO_ALPHA2.get(text[len(prefix) :].upper())
            return (code, "uri") if code else None
    code = ALPHA2_ALIASES.get(text.upper(), text.upper())
    return (code, "code") if code in ALPHA2 else None


def words(text: str) -> str:
    return " ".join(text.split()).casefold()


@cache
def term_index(vocabulary: str) -> dict[str, tuple[str, str]]:
    """Every accepted spelling of a vocabulary's terms → (code, how it was written)."""
    index: dict[str, tuple[str, str]] = {}
    terms = VOCABULARIES[vocabulary].terms
    for term in terms:
        for word in (term.label, *term.aliases):
            index.setdefault(words(word), (term.code, "label"))
        for uri in term.uris:
            index[uri] = (term.code, "uri")
    for term in terms:  # a code wins over another term's label spelled the same
        index[words(term.code)] = (term.code, "code")
    return index


def match_term(vocabulary: str, raw: str) -> tuple[str, str] | None:
    """(code, "code" | "label" | "uri") for a term written any accepted way, else None."""
    index = term_index(vocabulary)
    return index.get(raw.strip()) or index.get(words(raw))


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

"""One study record (API v2 ``study`` dict) to quads: a pure function, no I/O, no rdflib.

Simple fields are tables of ``json key -> (predicate, kind)`` walked by one loop; a *kind* is a
small function that checks the JSON type and adds the triples. Objects that occur once are
flattened onto their parent; repeated objects become nodes whose IRIs extend the parent's
(``study/NCT.../location/3/contact/1``). Structure errors (a string where a list belongs)
raise :class:`~kg.errors.RecordError` with the JSON path; odd values (an unknown enumeration
value, a malformed date) are kept as they are and reported as warnings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kg import eligibility, values
from kg.enums import ENUMS
from kg.errors import RecordError
from kg.iris import (
    browse_branch_iri,
    browse_leaf_iri,
    condition_iri,
    graph_iri,
    organization_iri,
    study_iri,
)
from kg.mesh import mesh_iri
from kg.namespaces import (
    CTG,
    CTGOV_API_STUDY,
    CTGOV_LARGE_DOCS,
    CTGOV_STUDY_PAGE,
    DCT,
    FOAF,
    GEO,
    LABEL,
    MESHV,
    PROV,
    PUBMED,
    RDFS,
    SCHEMA,
    TYPE,
)
from kg.read import nct_id_of
from kg.terms import XSD_BOOLEAN, XSD_DATETIME, XSD_INTEGER, Lit, Quad, Term, has_scheme, web_link
from kg.version import __version__

__all__ = ["MappedRecord", "map_record"]

TOOL = "ctgov-kg"
_NCT_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TRUE, _FALSE = Lit("true", XSD_BOOLEAN), Lit("false", XSD_BOOLEAN)


@dataclass
class MappedRecord:
    """One record's quads (all in the study's named graph) and the warnings found on the way."""

    nct_id: str
    graph: str
    quads: list[Quad]
    warnings: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[Quad]:
        return iter(self.quads)

    def __len__(self) -> int:
        return len(self.quads)


class _Ctx:
    """What the kinds share while one record is mapped."""

    __slots__ = ("contact_details", "g", "nct", "quads", "warnings")

    def __init__(self, nct: str, contact_details: bool) -> None:
        self.nct = nct
        self.g = graph_iri(nct)
        self.quads: list[Quad] = []
        self.warnings: list[str] = []
        self.contact_details = contact_details

    def add(self, s: str, p: str, o: Term) -> None:
        self.quads.append((s, p, o, self.g))

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(f"{self.nct}: {path}: {message}")


def _at(path: str, key: str | int) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}"


def _type_name(value: Any) -> str:
    return {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _fail(path: str, expected: str, value: Any) -> RecordError:
    return RecordError(f"expected {expected}, got {_type_name(value)} {value!r:.60}", path=path)


def _need(value: Any, kind: type | tuple[type, ...], expected: str, path: str) -> None:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise _fail(path, expected, value)


# --- kinds: (ctx, subject, predicate, value, path) -> None ---------------------------------

Kind = Callable[[_Ctx, str, str, Any, str], None]
Table = dict[str, tuple[str, Kind]]


def _str(ctx: _Ctx, s: str, p: str, v: Any, path: str) -> None:
    _need(v, str, "a string", path)
    ctx.add(s, p, Lit(v))


def _bool(ctx: _Ctx, s: str, p: str, v: Any, path: str) -> None:
    _need(v, bool, "true or false", path)
    ctx.add(s, p, _TRUE if v else _FALSE)


def _int(ctx: _Ctx, s: str, p: str, v: Any, path: str) -> None:
    _need(v, int, "an integer", path)
    ctx.add(s, p, Lit(str(v), XSD_INTEGER))


def _num(ctx: _Ctx, s: str, p: str, v: Any, path: str) -> None:
    _need(v, (int, float), "a number", path)
    try:
        ctx.add(s, p, values.decimal(v))
    except ValueError as exc:
        raise RecordError(str(exc), path=path) from None


def _typed(parse: Callable[[str], tuple[Lit, bool]], what: str) -> Kind:
    def kind(ctx: _Ctx, s: str, p: str, v: Any, path: str) -> None:
        _need(v, str, "a string", path)
        lit, ok = parse(v)
        if not ok:
            ctx.warn(path, f"{v!r} is not {what}; kept as text")
        ctx.add(s, p, lit)

    return kind


_date = _typed(values.partial_date, "a date (yyyy, yyyy-MM or yyyy-MM-dd)")
_datetime = _typed(values.date_time, "a date and time (yyyy-MM-ddTHH:mm)")
_age = _typed(values.age, "an age such as '18 Years'")


def _enum(name: str) -> Kind:
    allowed = ENUMS[name]

    def kind(ctx: _Ctx, s: str, p: str, v: Any, path: str) -> None:
        _need(v, str, f"a {name} value", path)
        if v not in allowed:
            ctx.warn(path, f"{v!r} is not a known {name} value; kept")
        ctx.add(s, p, Lit(v))

    return kind


def _url(ctx: _Ctx, s: str, p: str, v: Any, path: str) -> None:
    _need(v, str, "a URL string", path)
    if not has_scheme(v):
        ctx.warn(path, f"{v!r} has no scheme; read as {web_link(v)}")
    ctx.add(s, p, web_link(v))


def _contact(kind: Kind) -> Kind:
    """A phone number or e-mail: left out when the build asks for no contact details."""

    def wrapped(ctx: _Ctx, s: str, p: str, v: Any, path: str) -> None:
        if ctx.contact_details:
            kind(ctx, s, p, v, path)

    return wrapped


def _many(kind: Kind) -> Kind:
    def wrapped(ctx: _Ctx, s: str, p: str, v: Any, path: str) -> None:
        _need(v, list, "a list", path)
        for i, item in enumerate(v):
            if item is not None:
                kind(ctx, s, p, item, f"{path}[{i}]")

    return wrapped


def _flat(table: Table) -> Kind:
    """An object that occurs once, its fields put on the parent itself."""

    def kind(ctx: _Ctx, s: str, p: str, v: Any, path: str) -> None:
        _fields(ctx, s, v, table, path)

    return kind


def _date_struct(ctx: _Ctx, s: str, p: str, v: Any, path: str) -> None:
    """``{"date": ..., "type": "ACTUAL"}`` as ``p`` (typed date) and ``pType``."""
    _fields(ctx, s, v, {"date": (p, _date), "type": (p + "Type", _enum("DateType"))}, path)


def _nct_link(link: str) -> Kind:
    """An NCT ID that names another study: kept as text and linked to that study's IRI."""

    def kind(ctx: _Ctx, s: str, p: str, v: Any, path: str) -> None:
        _str(ctx, s, p, v, path)
        if _NCT_SAFE.match(v):
            ctx.add(s, CTG + link, study_iri(v))

    return kind


def _node(segment: str, cls: str, table: Table, label: str | None = None) -> Kind:
    """An object that occurs once as a node of its own: ``<parent>/<segment>``."""

    def kind(ctx: _Ctx, s: str, p: str, v: Any, path: str) -> None:
        _need(v, dict, "an object", path)
        n = f"{s}/{segment}"
        ctx.add(s, p, n)
        ctx.add(n, TYPE, cls)
        _fields(ctx, n, v, table, path)
        if label and isinstance(v.get(label), str):
            ctx.add(n, LABEL, Lit(v[label]))

    return kind


def _nodes(
    segment: str,
    cls: str,
    table: Table,
    label: str | None = None,
    extra: tuple[tuple[str, Term], ...] = (),
) -> Kind:
    """A list of objects, each a node ``<parent>/<segment>/<n>`` (1-based, record order).

    ``extra`` holds (predicate, object) pairs stated of every node, such as a further type.
    """

    def kind(ctx: _Ctx, s: str, p: str, v: Any, path: str) -> None:
        _need(v, list, "a list", path)
        for i, item in enumerate(v, 1):
            ipath = f"{path}[{i - 1}]"
            _need(item, dict, "an object", ipath)
            n = f"{s}/{segment}/{i}"
            ctx.add(s, p, n)
            ctx.add(n, TYPE, cls)
            ctx.add(n, CTG + "position", Lit(str(i), XSD_INTEGER))
            for pred, obj in extra:
                ctx.add(n, pred, obj)
            _fields(ctx, n, item, table, ipath)
            if label and isinstance(item.get(label), str):
                ctx.add(n, LABEL, Lit(item[label]))

    return kind


def _fields(ctx: _Ctx, s: str, obj: Any, table: Table, path: str) -> None:
    _need(obj, dict, "an object", path)
    for key, value in obj.items():
        spec = table.get(key)
        if spec is None:
            ctx.warn(_at(path, key), "field not in the API v2 study model; not mapped")
        elif value is not None:
            spec[1](ctx, s, spec[0], value, _at(path, key))


def _t(**fields: tuple[str, Kind]) -> Table:
    """A table whose predicates are given as local names in the ctg: vocabulary or as IRIs."""
    return {k: (p if ":" in p else CTG + p, kind) for k, (p, kind) in fields.items()}


# --- shared nodes ------------------------------------------------------------------------


def _organization(ctx: _Ctx, s: str, p: str, v: Any, path: str) -> None:
    _need(v, dict, "an organization object", path)
    name = v.get("name", v.get("fullName"))
    if name is None:
        ctx.warn(path, "organization without a name; not mapped")
        return
    _need(name, str, "a string", _at(path, "name" if "name" in v else "fullName"))
    org = organization_iri(name)
    ctx.add(s, p, org)
    ctx.add(org, TYPE, CTG + "Organization")
    ctx.add(org, TYPE, SCHEMA + "Organization")
    ctx.add(org, LABEL, Lit(name))
    for key, value in v.items():
        if key == "class":
            _enum("AgencyClass")(ctx, org, CTG + "agencyClass", value, _at(path, key))
        elif key not in ("name", "fullName"):
            ctx.warn(_at(path, key), "field not in the API v2 study model; not mapped")


def _condition(ctx: _Ctx, s: str, p: str, v: Any, path: str) -> None:
    _need(v, str, "a string", path)
    c = condition_iri(v)
    ctx.add(s, p, c)
    ctx.add(c, TYPE, CTG + "Condition")
    ctx.add(c, LABEL, Lit(v))


# --- tables --------------------------------------------------------------------------------

_CONTACT = _t(
    name=(LABEL, _str),
    role=("contactRole", _enum("ContactRole")),
    phone=(SCHEMA + "telephone", _contact(_str)),
    phoneExt=("phoneExtension", _contact(_str)),
    email=(SCHEMA + "email", _contact(_str)),
)

_IDENTIFICATION = _t(
    nctId=("nctId", _str),
    nctIdAliases=("nctIdAlias", _many(_str)),
    orgStudyIdInfo=(
        "orgStudyIdInfo",
        _flat(
            _t(
                id=("orgStudyId", _str),
                type=("orgStudyIdType", _enum("OrgStudyIdType")),
                link=("orgStudyIdLink", _url),
            )
        ),
    ),
    secondaryIdInfos=(
        "secondaryId",
        _nodes(
            "secondary-id",
            CTG + "SecondaryId",
            _t(
                id=(DCT + "identifier", _str),
                type=("secondaryIdType", _enum("SecondaryIdType")),
                domain=("secondaryIdDomain", _str),
                link=("secondaryIdLink", _url),
            ),
            label="id",
        ),
    ),
    briefTitle=("briefTitle", _str),
    officialTitle=("officialTitle", _str),
    acronym=("acronym", _str),
    organization=("organization", _organization),
)

_STATUS = _t(
    statusVerifiedDate=("statusVerifiedDate", _date),
    overallStatus=("overallStatus", _enum("Status")),
    lastKnownStatus=("lastKnownStatus", _enum("Status")),
    delayedPosting=("delayedPosting", _bool),
    whyStopped=("whyStopped", _str),
    expandedAccessInfo=(
        "expandedAccessInfo",
        _flat(
            _t(
                hasExpandedAccess=("hasExpandedAccess", _bool),
                nctId=("expandedAccessNctId", _nct_link("expandedAccessStudy")),
                statusForNctId=("expandedAccessStatus", _enum("ExpandedAccessStatus")),
            )
        ),
    ),
    startDateStruct=("startDate", _date_struct),
    primaryCompletionDateStruct=("primaryCompletionDate", _date_struct),
    completionDateStruct=("completionDate", _date_struct),
    studyFirstSubmitDate=("studyFirstSubmitDate", _date),
    studyFirstSubmitQcDate=("studyFirstSubmitQcDate", _date),
    studyFirstPostDateStruct=("studyFirstPostDate", _date_struct),
    resultsWaived=("resultsWaived", _bool),
    resultsFirstSubmitDate=("resultsFirstSubmitDate", _date),
    resultsFirstSubmitQcDate=("resultsFirstSubmitQcDate", _date),
    resultsFirstPostDateStruct=("resultsFirstPostDate", _date_struct),
    dispFirstSubmitDate=("dispFirstSubmitDate", _date),
    dispFirstSubmitQcDate=("dispFirstSubmitQcDate", _date),
    dispFirstPostDateStruct=("dispFirstPostDate", _date_struct),
    lastUpdateSubmitDate=("lastUpdateSubmitDate", _date),
    lastUpdatePostDateStruct=("lastUpdatePostDate", _date_struct),
)

_SPONSORS = _t(
    responsibleParty=(
        "responsibleParty",
        _node(
            "responsible-party",
            CTG + "ResponsibleParty",
            _t(
                type=("responsiblePartyType", _enum("ResponsiblePartyType")),
                investigatorFullName=("investigatorFullName", _str),
                investigatorTitle=("investigatorTitle", _str),
                investigatorAffiliation=("investigatorAffiliation", _str),
                oldNameTitle=("oldNameTitle", _str),
                oldOrganization=("oldOrganization", _str),
            ),
            label="investigatorFullName",
        ),
    ),
    leadSponsor=("leadSponsor", _organization),
    collaborators=("collaborator", _many(_organization)),
)

_OVERSIGHT = _t(
    **{
        k: (k, _bool)
        for k in (
            "oversightHasDmc",
            "isFdaRegulatedDrug",
            "isFdaRegulatedDevice",
            "isUnapprovedDevice",
            "isPpsd",
            "isUsExport",
            "fdaaa801Violation",
        )
    }
)

_DESCRIPTION = _t(
    briefSummary=("briefSummary", _str),
    detailedDescription=("detailedDescription", _str),
)

_CONDITIONS = _t(
    conditions=("condition", _many(_condition)),
    keywords=("keyword", _many(_str)),
)

_DESIGN = _t(
    studyType=("studyType", _enum("StudyType")),
    nPtrsToThisExpAccNctId=("nPtrsToThisExpAccNctId", _int),
    expandedAccessTypes=(
        "expandedAccessTypes",
        _flat(
            _t(
                individual=("expandedAccessIndividual", _bool),
                intermediate=("expandedAccessIntermediate", _bool),
                treatment=("expandedAccessTreatment", _bool),
            )
        ),
    ),
    patientRegistry=("patientRegistry", _bool),
    targetDuration=("targetDuration", _str),
    phases=("phase", _many(_enum("Phase"))),
    designInfo=(
        "designInfo",
        _flat(
            _t(
                allocation=("allocation", _enum("DesignAllocation")),
                interventionModel=("interventionModel", _enum("InterventionalAssignment")),
                interventionModelDescription=("interventionModelDescription", _str),
                primaryPurpose=("primaryPurpose", _enum("PrimaryPurpose")),
                observationalModel=("observationalModel", _enum("ObservationalModel")),
                timePerspective=("timePerspective", _enum("DesignTimePerspective")),
                maskingInfo=(
                    "maskingInfo",
                    _flat(
                        _t(
                            masking=("masking", _enum("DesignMasking")),
                            maskingDescription=("maskingDescription", _str),
                            whoMasked=("whoMasked", _many(_enum("WhoMasked"))),
                        )
                    ),
                ),
            )
        ),
    ),
    bioSpec=(
        "bioSpec",
        _flat(
            _t(
                retention=("bioSpecRetention", _enum("BioSpecRetention")),
                description=("bioSpecDescription", _str),
            )
        ),
    ),
    enrollmentInfo=(
        "enrollmentInfo",
        _flat(
            _t(
                count=("enrollmentCount", _int),
                type=("enrollmentType", _enum("EnrollmentType")),
            )
        ),
    ),
)

_INTERVENTION = _t(
    type=("interventionType", _enum("InterventionType")),
    name=(LABEL, _str),
    description=(DCT + "description", _str),
    armGroupLabels=("armGroupLabel", _many(_str)),
    otherNames=("otherName", _many(_str)),
)

_ARM_GROUP = _t(
    label=(LABEL, _str),
    type=("armGroupType", _enum("ArmGroupType")),
    description=(DCT + "description", _str),
    interventionNames=("interventionName", _many(_str)),
)

_OUTCOME = _t(
    measure=(LABEL, _str),
    description=(DCT + "description", _str),
    timeFrame=("timeFrame", _str),
)


def _outcomes(kind_name: str) -> Kind:
    return _nodes(
        f"{kind_name.split('_')[0].lower()}-outcome",
        CTG + "Outcome",
        _OUTCOME,
        extra=((CTG + "outcomeType", Lit(kind_name)),),
    )


_OUTCOMES = _t(
    primaryOutcomes=("primaryOutcome", _outcomes("PRIMARY")),
    secondaryOutcomes=("secondaryOutcome", _outcomes("SECONDARY")),
    otherOutcomes=("otherOutcome", _outcomes("OTHER_PRE_SPECIFIED")),
)

_SECTION_CLASS = {
    "inclusion": CTG + "InclusionCriterion",
    "exclusion": CTG + "ExclusionCriterion",
    None: CTG + "EligibilityCriterion",
}


def _criteria(ctx: _Ctx, s: str, p: str, v: Any, path: str) -> None:
    """The criteria text as given, and each item as a node, in order, nested items linked."""
    _str(ctx, s, p, v, path)
    parents: list[str] = []
    for i, item in enumerate(eligibility.criteria(v), 1):
        n = f"{s}/criterion/{i}"
        ctx.add(s, CTG + "criterion", n)
        ctx.add(n, TYPE, _SECTION_CLASS.get(item.section, _SECTION_CLASS[None]))
        ctx.add(n, CTG + "position", Lit(str(i), XSD_INTEGER))
        ctx.add(n, LABEL, Lit(item.text))
        if item.heading:
            ctx.add(n, CTG + "criterionHeading", Lit(item.heading))
        del parents[item.level :]
        if parents and item.level > 0:
            ctx.add(n, CTG + "parentCriterion", parents[-1])
        parents.extend([n] * (item.level + 1 - len(parents)))


_ELIGIBILITY = _t(
    eligibilityCriteria=("eligibilityCriteria", _criteria),
    healthyVolunteers=("healthyVolunteers", _bool),
    sex=("sex", _enum("Sex")),
    genderBased=("genderBased", _bool),
    genderDescription=("genderDescription", _str),
    minimumAge=("minimumAge", _age),
    maximumAge=("maximumAge", _age),
    stdAges=("stdAge", _many(_enum("StandardAge"))),
    studyPopulation=("studyPopulation", _str),
    samplingMethod=("samplingMethod", _enum("SamplingMethod")),
)

_OFFICIAL = _t(
    name=(LABEL, _str),
    affiliation=("affiliation", _str),
    role=("officialRole", _enum("OfficialRole")),
)

_LOCATION = _t(
    facility=("facility", _str),
    status=("recruitmentStatus", _enum("RecruitmentStatus")),
    city=("city", _str),
    state=("state", _str),
    zip=("zip", _str),
    country=("country", _str),
    contacts=("contact", _nodes("contact", CTG + "Contact", _CONTACT, label=None)),
    geoPoint=("geoPoint", _flat(_t(lat=(GEO + "lat", _num), lon=(GEO + "long", _num)))),
)


_CONTACTS_LOCATIONS = _t(
    centralContacts=("centralContact", _nodes("contact", CTG + "Contact", _CONTACT)),
    overallOfficials=("overallOfficial", _nodes("official", CTG + "Official", _OFFICIAL)),
    locations=(
        "location",
        _nodes(
            "location",
            CTG + "Location",
            _LOCATION,
            label="facility",
            extra=((TYPE, GEO + "SpatialThing"),),
        ),
    ),
)


def _pmid(ctx: _Ctx, s: str, p: str, v: Any, path: str) -> None:
    _str(ctx, s, p, v, path)
    if v.strip().isdigit():
        ctx.add(s, RDFS + "seeAlso", f"{PUBMED}{v.strip()}/")


_REFERENCES = _t(
    references=(
        "reference",
        _nodes(
            "reference",
            CTG + "Reference",
            _t(
                pmid=("pmid", _pmid),
                type=("referenceType", _enum("ReferenceType")),
                citation=(DCT + "bibliographicCitation", _str),
                retractions=(
                    "retraction",
                    _nodes(
                        "retraction",
                        CTG + "Retraction",
                        _t(pmid=("pmid", _pmid), source=("retractionSource", _str)),
                    ),
                ),
            ),
        ),
    ),
    seeAlsoLinks=(
        "seeAlsoLink",
        _nodes(
            "see-also",
            CTG + "SeeAlsoLink",
            _t(label=(LABEL, _str), url=(SCHEMA + "url", _url)),
        ),
    ),
    availIpds=(
        "availableIpd",
        _nodes(
            "ipd",
            CTG + "AvailableIpd",
            _t(
                id=(DCT + "identifier", _str),
                type=("ipdType", _str),
                url=(SCHEMA + "url", _url),
                comment=("ipdComment", _str),
            ),
            label="type",
        ),
    ),
)

_IPD_SHARING = _t(
    ipdSharing=("ipdSharing", _enum("IpdSharing")),
    description=("ipdSharingDescription", _str),
    infoTypes=("ipdSharingInfoType", _many(_enum("IpdSharingInfoType"))),
    timeFrame=("ipdSharingTimeFrame", _str),
    accessCriteria=("ipdSharingAccessCriteria", _str),
    url=("ipdSharingUrl", _url),
)


def _arms_interventions(ctx: _Ctx, s: str, p: str, v: Any, path: str) -> None:
    """Arm groups and interventions, and the links between them the record states."""
    _fields(
        ctx,
        s,
        v,
        _t(
            armGroups=("armGroup", _nodes("arm", CTG + "ArmGroup", _ARM_GROUP)),
            interventions=(
                "intervention",
                _nodes("intervention", CTG + "Intervention", _INTERVENTION),
            ),
        ),
        path,
    )
    arms = _index(v.get("armGroups"), s + "/arm", "label")
    interventions = _index(v.get("interventions"), s + "/intervention", "name")
    for i, item in enumerate(v.get("interventions") or (), 1):
        itype = str(item.get("type", "")).replace("_", " ").casefold()
        name = str(item.get("name", "")).casefold()
        interventions.setdefault(f"{itype}: {name}", f"{s}/intervention/{i}")
    links: set[tuple[str, str]] = set()
    for i, arm in enumerate(v.get("armGroups") or (), 1):
        for name in arm.get("interventionNames") or ():
            target = _resolve(interventions, name)
            if target is None:
                ctx.warn(f"{path}.armGroups[{i - 1}]", f"intervention {name!r} not found")
            else:
                links.add((f"{s}/arm/{i}", target))
    for i, item in enumerate(v.get("interventions") or (), 1):
        for label in item.get("armGroupLabels") or ():
            target = arms.get(str(label).casefold())
            if target is None:
                ctx.warn(f"{path}.interventions[{i - 1}]", f"arm group {label!r} not found")
            else:
                links.add((target, f"{s}/intervention/{i}"))
    for arm, intervention in sorted(links):
        ctx.add(arm, CTG + "usesIntervention", intervention)


def _index(items: Any, prefix: str, key: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for i, item in enumerate(items or (), 1):
        found.setdefault(str(item.get(key, "")).casefold(), f"{prefix}/{i}")
    return found


def _resolve(interventions: dict[str, str], name: Any) -> str | None:
    """``"Biological: NEUK203-13 Injection"`` -> the intervention of that type and name."""
    text = str(name).casefold()
    found = interventions.get(text)
    if found is None and ": " in text:
        found = interventions.get(text.split(": ", 1)[1])
    return found


# --- derived section -----------------------------------------------------------------------


def _mesh(ctx: _Ctx, path: str, entry: Any) -> str:
    _need(entry, dict, "a MeSH entry object", path)
    raw = entry.get("id")
    _need(raw, str, "a MeSH ID string", path + ".id")
    try:
        iri = mesh_iri(raw)
    except ValueError as exc:
        raise RecordError(str(exc), path=path + ".id") from None
    cls = "SupplementaryConceptRecord" if iri.rsplit("/", 1)[1].startswith("C") else "Descriptor"
    ctx.add(iri, TYPE, MESHV + cls)
    term = entry.get("term")
    if term is not None:
        _need(term, str, "a string", path + ".term")
        ctx.add(iri, LABEL, Lit(term))
    for key in entry.keys() - {"id", "term"}:
        ctx.warn(_at(path, key), "field not in the API v2 study model; not mapped")
    return iri


def _browse(which: str) -> Kind:
    """A condition or intervention browse module: MeSH terms, ancestors, leaves, branches."""

    def kind(ctx: _Ctx, s: str, p: str, v: Any, path: str) -> None:
        _need(v, dict, "an object", path)
        found: dict[str, list[str]] = {"meshes": [], "ancestors": []}
        for key, value in v.items():
            kpath = _at(path, key)
            if key in ("meshes", "ancestors"):
                pred = CTG + (f"{which}Mesh" if key == "meshes" else f"{which}MeshAncestor")
                _need(value, list, "a list", kpath)
                found[key] = [_mesh(ctx, f"{kpath}[{i}]", e) for i, e in enumerate(value)]
                for iri in found[key]:
                    ctx.add(s, pred, iri)
            elif key == "browseLeaves":
                _leaves(ctx, s, which, value, kpath)
            elif key == "browseBranches":
                _need(value, list, "a list", kpath)
                for i, b in enumerate(value):
                    _need(b, dict, "an object", f"{kpath}[{i}]")
                    _need(b.get("abbrev"), str, "a string", f"{kpath}[{i}].abbrev")
                    branch = browse_branch_iri(b["abbrev"])
                    ctx.add(s, CTG + f"{which}BrowseBranch", branch)
                    ctx.add(branch, TYPE, CTG + "BrowseBranch")
                    if b.get("name") is not None:
                        _str(ctx, branch, LABEL, b["name"], f"{kpath}[{i}].name")
            else:
                ctx.warn(kpath, "field not in the API v2 study model; not mapped")
        if len(found["meshes"]) == 1:
            for iri in found["ancestors"]:
                ctx.add(found["meshes"][0], CTG + "meshAncestor", iri)

    return kind


def _leaves(ctx: _Ctx, s: str, which: str, value: Any, path: str) -> None:
    _need(value, list, "a list", path)
    for i, leaf in enumerate(value, 1):
        lpath = f"{path}[{i - 1}]"
        _need(leaf, dict, "an object", lpath)
        _need(leaf.get("id"), str, "a string", lpath + ".id")
        term = browse_leaf_iri(leaf["id"])
        n = f"{s}/{which}-browse-leaf/{i}"
        ctx.add(s, CTG + f"{which}BrowseLeaf", n)
        ctx.add(n, TYPE, CTG + "BrowseLeafMatch")
        ctx.add(n, CTG + "browseTerm", term)
        ctx.add(term, TYPE, CTG + "BrowseLeaf")
        _fields(
            ctx,
            n,
            {k: x for k, x in leaf.items() if k not in ("id", "name")},
            _t(asFound=("asFound", _str), relevance=("relevance", _enum("BrowseLeafRelevance"))),
            lpath,
        )
        if leaf.get("name") is not None:
            _str(ctx, term, LABEL, leaf["name"], lpath + ".name")


_MISC_INFO = _t(
    versionHolder=("versionHolder", _date),
    removedCountries=("removedCountry", _many(_str)),
    submissionTracking=(
        "submissionTracking",
        _flat(
            _t(
                estimatedResultsFirstSubmitDate=("estimatedResultsFirstSubmitDate", _date),
                firstMcpInfo=(
                    "firstMcpInfo",
                    _flat(_t(postDateStruct=("firstMcpPostDate", _date_struct))),
                ),
                submissionInfos=(
                    "submission",
                    _nodes(
                        "submission",
                        CTG + "Submission",
                        _t(
                            releaseDate=("releaseDate", _date),
                            unreleaseDate=("unreleaseDate", _date),
                            unreleaseDateUnknown=("unreleaseDateUnknown", _bool),
                            resetDate=("resetDate", _date),
                            mcpReleaseN=("mcpReleaseN", _int),
                        ),
                    ),
                ),
            )
        ),
    ),
    modelPredictions=(
        "modelPredictions",
        _flat(
            _t(
                bmiLimits=(
                    "bmiLimits",
                    _flat(_t(minBmi=("minBmi", _num), maxBmi=("maxBmi", _num))),
                )
            )
        ),
    ),
)

_ANNOTATION = _t(
    annotationModule=(
        "annotationModule",
        _flat(
            _t(
                unpostedAnnotation=(
                    "unpostedAnnotation",
                    _flat(
                        _t(
                            unpostedResponsibleParty=("unpostedResponsibleParty", _str),
                            unpostedEvents=(
                                "unpostedEvent",
                                _nodes(
                                    "unposted-event",
                                    CTG + "UnpostedEvent",
                                    _t(
                                        type=("unpostedEventType", _enum("UnpostedEventType")),
                                        date=("unpostedEventDate", _date),
                                        dateUnknown=("unpostedEventDateUnknown", _bool),
                                    ),
                                ),
                            ),
                        )
                    ),
                ),
                violationAnnotation=(
                    "violationAnnotation",
                    _flat(
                        _t(
                            violationEvents=(
                                "violationEvent",
                                _nodes(
                                    "violation-event",
                                    CTG + "ViolationEvent",
                                    _t(
                                        type=("violationEventType", _enum("ViolationEventType")),
                                        description=(DCT + "description", _str),
                                        creationDate=("creationDate", _date),
                                        issuedDate=("issuedDate", _date),
                                        releaseDate=("releaseDate", _date),
                                        postedDate=("postedDate", _date),
                                    ),
                                ),
                            )
                        )
                    ),
                ),
            )
        ),
    )
)

_LARGE_DOC = _t(
    typeAbbrev=("documentType", _str),
    hasProtocol=("hasProtocol", _bool),
    hasSap=("hasSap", _bool),
    hasIcf=("hasIcf", _bool),
    label=(LABEL, _str),
    date=("documentDate", _date),
    uploadDate=("uploadDate", _datetime),
    filename=("filename", _str),
    size=("byteSize", _int),
)


def _large_docs(ctx: _Ctx, s: str, p: str, v: Any, path: str) -> None:
    _nodes("document", CTG + "LargeDocument", _LARGE_DOC)(ctx, s, p, v, path)
    for i, doc in enumerate(v, 1):
        name = doc.get("filename")
        if isinstance(name, str) and name:
            url = f"{CTGOV_LARGE_DOCS}{ctx.nct[-2:]}/{ctx.nct}/{name}"
            ctx.add(f"{s}/document/{i}", SCHEMA + "url", web_link(url))


_DOCUMENT = _t(
    largeDocumentModule=(
        "largeDocumentModule",
        _flat(_t(noSap=("noSap", _bool), largeDocs=("largeDocument", _large_docs))),
    )
)

_PROTOCOL = _t(
    identificationModule=("identificationModule", _flat(_IDENTIFICATION)),
    statusModule=("statusModule", _flat(_STATUS)),
    sponsorCollaboratorsModule=("sponsorCollaboratorsModule", _flat(_SPONSORS)),
    oversightModule=("oversightModule", _flat(_OVERSIGHT)),
    descriptionModule=("descriptionModule", _flat(_DESCRIPTION)),
    conditionsModule=("conditionsModule", _flat(_CONDITIONS)),
    designModule=("designModule", _flat(_DESIGN)),
    armsInterventionsModule=("armsInterventionsModule", _arms_interventions),
    outcomesModule=("outcomesModule", _flat(_OUTCOMES)),
    eligibilityModule=(
        "eligibility",
        _node("eligibility", CTG + "Eligibility", _ELIGIBILITY),
    ),
    contactsLocationsModule=("contactsLocationsModule", _flat(_CONTACTS_LOCATIONS)),
    referencesModule=("referencesModule", _flat(_REFERENCES)),
    ipdSharingStatementModule=("ipdSharingStatementModule", _flat(_IPD_SHARING)),
)

_DERIVED = _t(
    miscInfoModule=("miscInfoModule", _flat(_MISC_INFO)),
    conditionBrowseModule=("conditionBrowseModule", _browse("condition")),
    interventionBrowseModule=("interventionBrowseModule", _browse("intervention")),
)


def _not_mapped_yet(ctx: _Ctx, s: str, p: str, v: Any, path: str) -> None:
    """The results section: mapped by a later release; its presence is stated by hasResults."""


_STUDY = _t(
    protocolSection=("protocolSection", _flat(_PROTOCOL)),
    derivedSection=("derivedSection", _flat(_DERIVED)),
    annotationSection=("annotationSection", _flat(_ANNOTATION)),
    documentSection=("documentSection", _flat(_DOCUMENT)),
    hasResults=("hasResults", _bool),
    resultsSection=("resultsSection", _not_mapped_yet),
)

_STUDY_CLASS = {
    "INTERVENTIONAL": SCHEMA + "MedicalTrial",
    "OBSERVATIONAL": SCHEMA + "MedicalObservationalStudy",
}


def map_record(
    data: dict,
    *,
    source: str | None = None,
    built_at: str | None = None,
    contact_details: bool = True,
) -> MappedRecord:
    """Map one API v2 study record to quads in its own named graph.

    :param data: the ``study`` object as parsed from JSON.
    :param source: where the record was read (file, ``zip!member``); stated as provenance.
    :param built_at: an ``xsd:dateTime`` for the build; left out when None (deterministic).
    :param contact_details: False leaves out the phone numbers and e-mail addresses of people.
    :raises RecordError: when the record has no usable NCT ID or a field has the wrong JSON type.
    """
    if not isinstance(data, dict):
        raise _fail("$", "a study object", data)
    nct = nct_id_of(data)
    if nct is None or not _NCT_SAFE.match(nct):
        raise RecordError(
            "expected an NCT ID such as 'NCT01234567'"
            + (f", got {nct!r}" if nct is not None else ", but there is none"),
            source=source,
            path="$.protocolSection.identificationModule.nctId",
        )
    ctx = _Ctx(nct, contact_details)
    s = study_iri(nct)
    try:
        _fields(ctx, s, data, _STUDY, "$")
    except RecordError as exc:
        raise exc.located(source=source, nct_id=nct) from None
    add = ctx.add
    add(s, TYPE, CTG + "Study")
    study_type = data.get("protocolSection", {}).get("designModule", {}).get("studyType")
    add(s, TYPE, _STUDY_CLASS.get(study_type, SCHEMA + "MedicalStudy"))
    title = data["protocolSection"]["identificationModule"].get("briefTitle")
    add(s, LABEL, Lit(title if isinstance(title, str) else nct))
    add(s, SCHEMA + "url", CTGOV_STUDY_PAGE + nct)
    _provenance(ctx, s, data, source, built_at)
    return MappedRecord(nct, ctx.g, ctx.quads, ctx.warnings)


def _provenance(ctx: _Ctx, s: str, data: dict, source: str | None, built_at: str | None) -> None:
    g = ctx.g
    ctx.add(g, TYPE, PROV + "Entity")
    ctx.add(g, FOAF + "primaryTopic", s)
    ctx.add(g, PROV + "wasDerivedFrom", CTGOV_API_STUDY + ctx.nct)
    ctx.add(g, CTG + "toolVersion", Lit(f"{TOOL} {__version__}"))
    if source:
        ctx.add(g, DCT + "source", Lit(source))
    version = last_update(data)
    if version:
        ctx.add(g, CTG + "recordVersion", values.partial_date(version)[0])
    if built_at:
        ctx.add(g, PROV + "generatedAtTime", Lit(built_at, XSD_DATETIME))


def last_update(data: Any) -> str | None:
    """The record's version: its ``lastUpdatePostDateStruct.date``, when it has one."""
    try:
        date = data["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"]
    except (KeyError, TypeError):
        return None
    return date if isinstance(date, str) else None

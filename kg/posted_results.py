"""The results section (participant flow, baseline, outcome measures, adverse events, more info).

Each module is a node under the study; its groups (``FG000``, ``BG000``, ``OG000``, ``EG000``)
are nodes ``<module>/group/<id>``, and every per-group figure is a node ``<parent>/<group id>``
linked to its group by ``ctg:group``, so a query walks study -> measure -> category ->
measurement -> group. Numbers the registry sends as text become xsd:integer / xsd:decimal
literals with the lexical form kept; text that is no number (``NA``) stays text and the node
says so with ``ctg:nonNumericProperty``, never a made-up 0.
"""

from __future__ import annotations

import re
from typing import Any

from kg import values
from kg.kinds import (
    Ctx,
    Kind,
    Table,
    boolean,
    contact_detail,
    date,
    enum,
    fields,
    flat,
    integer,
    need,
    node,
    nodes,
    string,
    table,
)
from kg.namespaces import CTG, DCT, LABEL, SCHEMA, TYPE
from kg.terms import Lit, iri_segment

_SPACES = re.compile(r"\s+")


def numeric(ctx: Ctx, s: str, p: str, v: Any, path: str) -> None:
    """A figure sent as text: typed when it is a number, else kept as text and flagged."""
    if isinstance(v, int | float) and not isinstance(v, bool):
        v = repr(v)
    need(v, str, "a number as text", path)
    lit, ok = values.numeric(v)
    ctx.add(s, p, lit)
    if not ok:
        ctx.add(s, CTG + "nonNumericProperty", p)


def compared_number(ctx: Ctx, s: str, p: str, v: Any, path: str) -> None:
    """A p-value as written (``<0.001``), plus its number and comparator when it has them."""
    string(ctx, s, p, v, path)
    parsed = values.compared(v)
    if parsed is not None:
        ctx.add(s, p + "Number", parsed[1])
        ctx.add(s, p + "Comparator", Lit(parsed[0]))


def groups(cls: str, extra: Table | None = None) -> Kind:
    """The groups of a module or measure: nodes ``<scope>/group/<id>``."""
    tab = {**_GROUP, **(extra or {})}

    def kind(ctx: Ctx, s: str, p: str, v: Any, path: str) -> None:
        need(v, list, "a list", path)
        for i, item in enumerate(v):
            ipath = f"{path}[{i}]"
            need(item, dict, "an object", ipath)
            n = _group(ctx, item.get("id"), i + 1)
            ctx.add(s, p, n)
            ctx.add(n, TYPE, cls)
            ctx.add(n, TYPE, CTG + "ResultGroup")
            fields(ctx, n, item, tab, ipath)

    return kind


def per_group(cls: str, tab: Table) -> Kind:
    """Figures given for each group: nodes ``<parent>/<group id>`` linked to their group."""

    def kind(ctx: Ctx, s: str, p: str, v: Any, path: str) -> None:
        need(v, list, "a list", path)
        for i, item in enumerate(v):
            ipath = f"{path}[{i}]"
            need(item, dict, "an object", ipath)
            gid = item.get("groupId")
            if gid is not None:
                need(gid, str, "a group ID string", ipath + ".groupId")
            n = f"{s}/{iri_segment(gid) if gid else i + 1}"
            ctx.add(s, p, n)
            ctx.add(n, TYPE, cls)
            if gid:
                ctx.add(n, CTG + "group", _group(ctx, gid, i + 1))
            fields(ctx, n, {k: x for k, x in item.items() if k != "groupId"}, tab, ipath)

    return kind


def group_refs(ctx: Ctx, s: str, p: str, v: Any, path: str) -> None:
    """A list of group IDs, as links to those groups."""
    need(v, list, "a list", path)
    for i, gid in enumerate(v):
        need(gid, str, "a group ID string", f"{path}[{i}]")
        ctx.add(s, p, _group(ctx, gid, i + 1))


def _group(ctx: Ctx, gid: Any, position: int) -> str:
    return f"{ctx.groups}/{iri_segment(gid) if isinstance(gid, str) and gid else position}"


_GROUP = table(
    id=(DCT + "identifier", string),
    title=(LABEL, string),
    description=(DCT + "description", string),
)

_FLOW_STATS = table(
    comment=("note", string),
    numSubjects=("numSubjects", numeric),
    numUnits=("numUnits", numeric),
)

_PARTICIPANT_FLOW = table(
    preAssignmentDetails=("preAssignmentDetails", string),
    recruitmentDetails=("recruitmentDetails", string),
    typeUnitsAnalyzed=("typeUnitsAnalyzed", string),
    groups=("resultGroup", groups(CTG + "FlowGroup")),
    periods=(
        "period",
        nodes(
            "period",
            CTG + "FlowPeriod",
            table(
                title=(LABEL, string),
                milestones=(
                    "milestone",
                    nodes(
                        "milestone",
                        CTG + "FlowMilestone",
                        table(
                            type=("milestoneType", string),
                            comment=("note", string),
                            achievements=(
                                "milestoneCount",
                                per_group(CTG + "FlowCount", _FLOW_STATS),
                            ),
                        ),
                        label="type",
                    ),
                ),
                dropWithdraws=(
                    "dropWithdraw",
                    nodes(
                        "drop-withdraw",
                        CTG + "DropWithdraw",
                        table(
                            type=("dropWithdrawType", string),
                            comment=("note", string),
                            reasons=("reasonCount", per_group(CTG + "FlowCount", _FLOW_STATS)),
                        ),
                        label="type",
                    ),
                ),
            ),
        ),
    ),
)

_DENOM_COUNT = table(value=("value", numeric))
_DENOMS = nodes(
    "denom",
    CTG + "Denominator",
    table(
        units=("denomUnits", string),
        counts=("denomCount", per_group(CTG + "DenomCount", _DENOM_COUNT)),
    ),
)
_MEASUREMENT = table(
    value=("value", numeric),
    spread=("spread", numeric),
    lowerLimit=("lowerLimit", numeric),
    upperLimit=("upperLimit", numeric),
    comment=("note", string),
)
_CLASSES = nodes(
    "class",
    CTG + "MeasureClass",
    table(
        title=(LABEL, string),
        denoms=("denom", _DENOMS),
        categories=(
            "category",
            nodes(
                "category",
                CTG + "MeasureCategory",
                table(
                    title=(LABEL, string),
                    measurements=("measurement", per_group(CTG + "Measurement", _MEASUREMENT)),
                ),
            ),
        ),
    ),
)

_MEASURE_COMMON = dict(
    title=(LABEL, string),
    description=(DCT + "description", string),
    populationDescription=("populationDescription", string),
    paramType=("paramType", enum("MeasureParam")),
    unitOfMeasure=("unitOfMeasure", string),
    calculatePct=("calculatePct", boolean),
    denomUnitsSelected=("denomUnitsSelected", string),
    denoms=("denom", _DENOMS),
    classes=("class", _CLASSES),
)

_BASELINE = table(
    populationDescription=("populationDescription", string),
    typeUnitsAnalyzed=("typeUnitsAnalyzed", string),
    groups=("resultGroup", groups(CTG + "BaselineGroup")),
    denoms=("denom", _DENOMS),
    measures=(
        "baselineMeasure",
        nodes(
            "measure",
            CTG + "BaselineMeasure",
            table(
                **_MEASURE_COMMON,
                dispersionType=("dispersionType", enum("MeasureDispersionType")),
            ),
        ),
    ),
)

_ANALYSIS = table(
    paramType=("analysisParamType", string),
    paramValue=("paramValue", numeric),
    dispersionType=("analysisDispersionType", enum("AnalysisDispersionType")),
    dispersionValue=("dispersionValue", numeric),
    statisticalMethod=("statisticalMethod", string),
    statisticalComment=("statisticalComment", string),
    pValue=("pValue", compared_number),
    pValueComment=("pValueComment", string),
    ciNumSides=("ciNumSides", enum("ConfidenceIntervalNumSides")),
    ciPctValue=("ciPctValue", numeric),
    ciLowerLimit=("ciLowerLimit", numeric),
    ciUpperLimit=("ciUpperLimit", numeric),
    ciLowerLimitComment=("ciLowerLimitComment", string),
    ciUpperLimitComment=("ciUpperLimitComment", string),
    estimateComment=("estimateComment", string),
    testedNonInferiority=("testedNonInferiority", boolean),
    nonInferiorityType=("nonInferiorityType", enum("NonInferiorityType")),
    nonInferiorityComment=("nonInferiorityComment", string),
    otherAnalysisDescription=("otherAnalysisDescription", string),
    groupDescription=("groupDescription", string),
    groupIds=("group", group_refs),
)

_OUTCOME_MEASURE = table(
    **_MEASURE_COMMON,
    type=("outcomeType", enum("OutcomeMeasureType")),
    reportingStatus=("reportingStatus", enum("ReportingStatus")),
    anticipatedPostingDate=("anticipatedPostingDate", date),
    dispersionType=("dispersionType", string),
    timeFrame=("timeFrame", string),
    typeUnitsAnalyzed=("typeUnitsAnalyzed", string),
    groups=("resultGroup", groups(CTG + "OutcomeGroup")),
    analyses=("analysis", nodes("analysis", CTG + "Analysis", _ANALYSIS)),
)

_EVENT_STATS = table(
    numEvents=("numEvents", integer),
    numAffected=("numAffected", integer),
    numAtRisk=("numAtRisk", integer),
)
_EVENT = table(
    term=(LABEL, string),
    organSystem=("organSystem", string),
    sourceVocabulary=("sourceVocabulary", string),
    assessmentType=("assessmentType", enum("EventAssessment")),
    notes=("eventNotes", string),
    stats=("eventCount", per_group(CTG + "EventCount", _EVENT_STATS)),
)
_EVENT_GROUP_COUNTS = table(
    **{
        f"{kind}{what}": (f"{kind}{what}", integer)
        for kind in ("deaths", "serious", "other")
        for what in ("NumAffected", "NumAtRisk")
    }
)

_ADVERSE_EVENTS = table(
    frequencyThreshold=("frequencyThreshold", numeric),
    timeFrame=("timeFrame", string),
    description=(DCT + "description", string),
    allCauseMortalityComment=("allCauseMortalityComment", string),
    eventGroups=("resultGroup", groups(CTG + "EventGroup", _EVENT_GROUP_COUNTS)),
    seriousEvents=(
        "seriousEvent",
        nodes(
            "serious-event",
            CTG + "SeriousAdverseEvent",
            _EVENT,
            extra=((TYPE, CTG + "AdverseEvent"),),
        ),
    ),
    otherEvents=(
        "otherEvent",
        nodes(
            "other-event",
            CTG + "OtherAdverseEvent",
            _EVENT,
            extra=((TYPE, CTG + "AdverseEvent"),),
        ),
    ),
)

_MORE_INFO = table(
    limitationsAndCaveats=(
        "limitationsAndCaveats",
        flat(table(description=("limitationsAndCaveats", string))),
    ),
    certainAgreement=(
        "certainAgreement",
        flat(
            table(
                piSponsorEmployee=("piSponsorEmployee", boolean),
                restrictionType=("restrictionType", enum("AgreementRestrictionType")),
                restrictiveAgreement=("restrictiveAgreement", boolean),
                otherDetails=("agreementOtherDetails", string),
            )
        ),
    ),
    pointOfContact=(
        "resultsPointOfContact",
        node(
            "results-contact",
            CTG + "Contact",
            table(
                title=(LABEL, string),
                organization=("pointOfContactOrganization", string),
                email=(SCHEMA + "email", contact_detail(string)),
                phone=(SCHEMA + "telephone", contact_detail(string)),
                phoneExt=("phoneExtension", contact_detail(string)),
            ),
        ),
    ),
)

RESULTS = table(
    participantFlowModule=(
        "participantFlow",
        node("participant-flow", CTG + "ParticipantFlow", _PARTICIPANT_FLOW, groups=True),
    ),
    baselineCharacteristicsModule=(
        "baseline",
        node("baseline", CTG + "BaselineCharacteristics", _BASELINE, groups=True),
    ),
    outcomeMeasuresModule=(
        "outcomeMeasuresModule",
        flat(
            table(
                outcomeMeasures=(
                    "outcomeMeasure",
                    nodes("outcome-measure", CTG + "OutcomeMeasure", _OUTCOME_MEASURE, groups=True),
                )
            )
        ),
    ),
    adverseEventsModule=(
        "adverseEvents",
        node("adverse-events", CTG + "AdverseEventsReport", _ADVERSE_EVENTS, groups=True),
    ),
    moreInfoModule=("moreInfoModule", flat(_MORE_INFO)),
)


def link_registered_outcomes(ctx: Ctx, s: str, data: dict) -> None:
    """Link each outcome measure to the protocol's registered outcome of the same title."""
    protocol = (data.get("protocolSection") or {}).get("outcomesModule") or {}
    registered: dict[str, str] = {}
    for key, segment in (
        ("primaryOutcomes", "primary"),
        ("secondaryOutcomes", "secondary"),
        ("otherOutcomes", "other"),
    ):
        for i, outcome in enumerate(protocol.get(key) or (), 1):
            if isinstance(outcome, dict) and isinstance(outcome.get("measure"), str):
                registered.setdefault(_norm(outcome["measure"]), f"{s}/{segment}-outcome/{i}")
    measures = ((data.get("resultsSection") or {}).get("outcomeMeasuresModule") or {}).get(
        "outcomeMeasures"
    )
    for i, measure in enumerate(measures or (), 1):
        if isinstance(measure, dict) and isinstance(measure.get("title"), str):
            target = registered.get(_norm(measure["title"]))
            if target is not None:
                ctx.add(f"{s}/outcome-measure/{i}", CTG + "registeredOutcome", target)


def _norm(text: str) -> str:
    return _SPACES.sub(" ", text).strip().casefold()

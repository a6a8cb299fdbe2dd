"""The enumerations of ClinicalTrials.gov API v2 (2.0.5), as the OpenAPI description lists them.

A value outside these sets is kept and warned about: the registry adds values over time.
``tests/test_enums.py`` checks this table against the official description.
"""

ENUMS: dict[str, frozenset[str]] = {
    "Status": frozenset(
        {
            "ACTIVE_NOT_RECRUITING",
            "COMPLETED",
            "ENROLLING_BY_INVITATION",
            "NOT_YET_RECRUITING",
            "RECRUITING",
            "SUSPENDED",
            "TERMINATED",
            "WITHDRAWN",
            "AVAILABLE",
            "NO_LONGER_AVAILABLE",
            "TEMPORARILY_NOT_AVAILABLE",
            "APPROVED_FOR_MARKETING",
            "WITHHELD",
            "UNKNOWN",
        }
    ),
    "StudyType": frozenset({"EXPANDED_ACCESS", "INTERVENTIONAL", "OBSERVATIONAL"}),
    "Phase": frozenset({"NA", "EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4"}),
    "Sex": frozenset({"FEMALE", "MALE", "ALL"}),
    "StandardAge": frozenset({"CHILD", "ADULT", "OLDER_ADULT"}),
    "SamplingMethod": frozenset({"PROBABILITY_SAMPLE", "NON_PROBABILITY_SAMPLE"}),
    "IpdSharing": frozenset({"YES", "NO", "UNDECIDED"}),
    "IpdSharingInfoType": frozenset({"STUDY_PROTOCOL", "SAP", "ICF", "CSR", "ANALYTIC_CODE"}),
    "OrgStudyIdType": frozenset({"NIH", "FDA", "VA", "CDC", "AHRQ", "SAMHSA"}),
    "SecondaryIdType": frozenset(
        {
            "NIH",
            "FDA",
            "VA",
            "CDC",
            "AHRQ",
            "SAMHSA",
            "OTHER_GRANT",
            "EUDRACT_NUMBER",
            "CTIS",
            "REGISTRY",
            "OTHER",
        }
    ),
    "AgencyClass": frozenset(
        {"NIH", "FED", "OTHER_GOV", "INDIV", "INDUSTRY", "NETWORK", "AMBIG", "OTHER", "UNKNOWN"}
    ),
    "ExpandedAccessStatus": frozenset(
        {"AVAILABLE", "NO_LONGER_AVAILABLE", "TEMPORARILY_NOT_AVAILABLE", "APPROVED_FOR_MARKETING"}
    ),
    "DateType": frozenset({"ACTUAL", "ESTIMATED"}),
    "ResponsiblePartyType": frozenset(
        {"SPONSOR", "PRINCIPAL_INVESTIGATOR", "SPONSOR_INVESTIGATOR"}
    ),
    "DesignAllocation": frozenset({"RANDOMIZED", "NON_RANDOMIZED", "NA"}),
    "InterventionalAssignment": frozenset(
        {"SINGLE_GROUP", "PARALLEL", "CROSSOVER", "FACTORIAL", "SEQUENTIAL"}
    ),
    "PrimaryPurpose": frozenset(
        {
            "TREATMENT",
            "PREVENTION",
            "DIAGNOSTIC",
            "ECT",
            "SUPPORTIVE_CARE",
            "SCREENING",
            "HEALTH_SERVICES_RESEARCH",
            "BASIC_SCIENCE",
            "DEVICE_FEASIBILITY",
            "OTHER",
        }
    ),
    "ObservationalModel": frozenset(
        {
            "COHORT",
            "CASE_CONTROL",
            "CASE_ONLY",
            "CASE_CROSSOVER",
            "ECOLOGIC_OR_COMMUNITY",
            "FAMILY_BASED",
            "DEFINED_POPULATION",
            "NATURAL_HISTORY",
            "OTHER",
        }
    ),
    "DesignTimePerspective": frozenset(
        {"RETROSPECTIVE", "PROSPECTIVE", "CROSS_SECTIONAL", "OTHER"}
    ),
    "BioSpecRetention": frozenset({"NONE_RETAINED", "SAMPLES_WITH_DNA", "SAMPLES_WITHOUT_DNA"}),
    "EnrollmentType": frozenset({"ACTUAL", "ESTIMATED"}),
    "ArmGroupType": frozenset(
        {
            "EXPERIMENTAL",
            "ACTIVE_COMPARATOR",
            "PLACEBO_COMPARATOR",
            "SHAM_COMPARATOR",
            "NO_INTERVENTION",
            "OTHER",
        }
    ),
    "InterventionType": frozenset(
        {
            "BEHAVIORAL",
            "BIOLOGICAL",
            "COMBINATION_PRODUCT",
            "DEVICE",
            "DIAGNOSTIC_TEST",
            "DIETARY_SUPPLEMENT",
            "DRUG",
            "GENETIC",
            "PROCEDURE",
            "RADIATION",
            "OTHER",
        }
    ),
    "ContactRole": frozenset(
        {"STUDY_CHAIR", "STUDY_DIRECTOR", "PRINCIPAL_INVESTIGATOR", "SUB_INVESTIGATOR", "CONTACT"}
    ),
    "OfficialRole": frozenset(
        {"STUDY_CHAIR", "STUDY_DIRECTOR", "PRINCIPAL_INVESTIGATOR", "SUB_INVESTIGATOR"}
    ),
    "RecruitmentStatus": frozenset(
        {
            "ACTIVE_NOT_RECRUITING",
            "COMPLETED",
            "ENROLLING_BY_INVITATION",
            "NOT_YET_RECRUITING",
            "RECRUITING",
            "SUSPENDED",
            "TERMINATED",
            "WITHDRAWN",
            "AVAILABLE",
        }
    ),
    "ReferenceType": frozenset({"BACKGROUND", "RESULT", "DERIVED"}),
    "MeasureParam": frozenset(
        {
            "GEOMETRIC_MEAN",
            "GEOMETRIC_LEAST_SQUARES_MEAN",
            "LEAST_SQUARES_MEAN",
            "LOG_MEAN",
            "MEAN",
            "MEDIAN",
            "NUMBER",
            "COUNT_OF_PARTICIPANTS",
            "COUNT_OF_UNITS",
        }
    ),
    "MeasureDispersionType": frozenset(
        {
            "NA",
            "STANDARD_DEVIATION",
            "STANDARD_ERROR",
            "INTER_QUARTILE_RANGE",
            "FULL_RANGE",
            "CONFIDENCE_80",
            "CONFIDENCE_90",
            "CONFIDENCE_95",
            "CONFIDENCE_975",
            "CONFIDENCE_99",
            "CONFIDENCE_OTHER",
            "GEOMETRIC_COEFFICIENT",
        }
    ),
    "OutcomeMeasureType": frozenset({"PRIMARY", "SECONDARY", "OTHER_PRE_SPECIFIED", "POST_HOC"}),
    "ReportingStatus": frozenset({"NOT_POSTED", "POSTED"}),
    "EventAssessment": frozenset({"NON_SYSTEMATIC_ASSESSMENT", "SYSTEMATIC_ASSESSMENT"}),
    "AgreementRestrictionType": frozenset({"LTE60", "GT60", "OTHER"}),
    "BrowseLeafRelevance": frozenset({"LOW", "HIGH"}),
    "DesignMasking": frozenset({"NONE", "SINGLE", "DOUBLE", "TRIPLE", "QUADRUPLE"}),
    "WhoMasked": frozenset({"PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR", "OUTCOMES_ASSESSOR"}),
    "AnalysisDispersionType": frozenset({"STANDARD_DEVIATION", "STANDARD_ERROR_OF_MEAN"}),
    "ConfidenceIntervalNumSides": frozenset({"ONE_SIDED", "TWO_SIDED"}),
    "NonInferiorityType": frozenset(
        {
            "SUPERIORITY",
            "NON_INFERIORITY",
            "EQUIVALENCE",
            "OTHER",
            "NON_INFERIORITY_OR_EQUIVALENCE",
            "SUPERIORITY_OR_OTHER",
            "NON_INFERIORITY_OR_EQUIVALENCE_LEGACY",
            "SUPERIORITY_OR_OTHER_LEGACY",
        }
    ),
    "UnpostedEventType": frozenset({"RESET", "RELEASE", "UNRELEASE"}),
    "ViolationEventType": frozenset(
        {
            "VIOLATION_IDENTIFIED",
            "CORRECTION_CONFIRMED",
            "PENALTY_IMPOSED",
            "ISSUES_IN_LETTER_ADDRESSED_CONFIRMED",
        }
    ),
}

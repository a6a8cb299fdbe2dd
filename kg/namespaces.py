"""IRI bases and prefixes of the graph, in one place.

Plain strings, not rdflib Namespaces: the mapping builds millions of IRIs and a str
concatenation is the cheapest way to do it.
"""

BASE = "https://w3id.org/ctgov-kg/"
CTG = BASE + "vocab#"
STUDY = BASE + "study/"
GRAPH = BASE + "graph/"
ORG = BASE + "organization/"
CONDITION = BASE + "condition/"
BROWSE_LEAF = BASE + "browse/leaf/"
BROWSE_BRANCH = BASE + "browse/branch/"
MESH = "http://id.nlm.nih.gov/mesh/"
MESHV = "http://id.nlm.nih.gov/mesh/vocab#"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
DCT = "http://purl.org/dc/terms/"
SCHEMA = "https://schema.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
FOAF = "http://xmlns.com/foaf/0.1/"

CTGOV_STUDY_PAGE = "https://clinicaltrials.gov/study/"
CTGOV_API_STUDY = "https://clinicaltrials.gov/api/v2/studies/"
CTGOV_LARGE_DOCS = "https://cdn.clinicaltrials.gov/large-docs/"
PUBMED = "https://pubmed.ncbi.nlm.nih.gov/"

PREFIXES: dict[str, str] = {
    "ctg": CTG,
    "study": STUDY,
    "organization": ORG,
    "condition": CONDITION,
    "mesh": MESH,
    "meshv": MESHV,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "owl": OWL,
    "dct": DCT,
    "schema": SCHEMA,
    "skos": SKOS,
    "prov": PROV,
    "geo": GEO,
    "foaf": FOAF,
}

TYPE = RDF + "type"
LABEL = RDFS + "label"

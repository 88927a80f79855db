"""The OpenAPI 3.1 description of the API, served at /api/openapi.json.

Built from the same forms that validate the query strings (api.filters), so every
parameter documented is one the API accepts and the other way round; the response
schemas are JSON Schema 2020-12 (OpenAPI 3.1's dialect) and close their objects
(`additionalProperties: false`), so a field added to a response without being
described here fails tests/api/test_openapi.py, which validates the document and
every endpoint's real answer against it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from incidents.models import Actor, Annotation, Incident, Party, Place, Source, Statement

from . import filters
from .conditional import conditional_json
from .endpoint import PAGING_PARAMS, endpoint
from .exports import DATASETS, WRITERS

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
BOOL: Schema = {"type": "boolean"}
URI: Schema = {"type": "string", "format": "uri"}
DATETIME: Schema = {"type": "string", "format": "date-time"}
# A date to its precision: "2021", "2021-05" or "2021-05-03".
PRECISE_DATE: Schema = {"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$"}
DATE: Schema = {"type": "string", "format": "date"}


def null(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def enum(choices: Any) -> Schema:
    return {"type": "string", "enum": [value for value, _ in choices]}


def obj(properties: dict[str, Schema], optional: tuple[str, ...] = ()) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": [k for k in properties if k not in optional],
        "additionalProperties": False,
    }


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


REF = obj({"slug": STRING, "name": STRING})
NUMBER: Schema = {"type": "number"}
# A place with where it is (docs/maps.md): kind, WGS 84 degrees, ISO 3166 area code.
PLACE_REF = obj(
    {
        "slug": STRING,
        "name": STRING,
        "kind": enum(Place.Kind.choices),
        "latitude": null(NUMBER),
        "longitude": null(NUMBER),
        "area_code": null(STRING),
    }
)
PRECISION = enum(Incident.Precision.choices)

INCIDENT = obj(
    {
        "slug": STRING,
        "url": URI,
        "html_url": URI,
        "title": STRING,
        "conflict": REF,
        "date_start": PRECISE_DATE,
        "date_end": null(PRECISE_DATE),
        "date_precision": PRECISION,
        "date_display": STRING,
        "places": array(PLACE_REF),
        "summary": STRING,
        "status": enum(Incident.Status.choices),
        "published_at": null(DATETIME),
        "updated_at": DATETIME,
    }
)

SOURCE_REF = obj(
    {
        "id": INT,
        "url": URI,
        "title": STRING,
        "publisher": STRING,
        "source_url": STRING,
        "published_on": null(DATE),
        "sha256": STRING,
    }
)

STATEMENT = obj(
    {
        "id": INT,
        "url": URI,
        "html_url": URI,
        "incident": obj({"slug": STRING, "title": STRING, "url": URI}),
        "actor": obj({"slug": STRING, "name": STRING, "kind": STRING, "role": STRING}),
        "party": null(REF),
        "text": STRING,
        "kind": enum(Statement.Kind.choices),
        "statement_type": enum(Statement.Type.choices),
        "leaning": enum(Statement.Leaning.choices),
        "leaning_towards": null(REF),
        "issued_on": PRECISE_DATE,
        "issued_precision": PRECISION,
        "source": null(SOURCE_REF),
        "source_start": null(INT),
        "source_end": null(INT),
        "quote_verified": null(BOOL),
        "original_language": STRING,
        "original_text": STRING,
        "translation_note": STRING,
        "status": enum(Statement.Status.choices),
        "published_at": null(DATETIME),
        "withdrawn_reason": STRING,
        "updated_at": DATETIME,
    }
)

SOURCE = obj(
    {
        **SOURCE_REF["properties"],
        "html_url": URI,
        "kind": enum(Source.Kind.choices),
        "language": STRING,
        "captured_at": null(DATETIME),
        "archive_url": URI,
        "statement_count": null(INT),
        "updated_at": DATETIME,
    }
)

ACTOR = obj(
    {
        "slug": STRING,
        "url": URI,
        "html_url": URI,
        "name": STRING,
        "kind": enum(Actor.Kind.choices),
        "role": STRING,
        "aliases": array(STRING),
        "party": null(REF),
        "statement_count": null(INT),
    }
)

PARTY = obj(
    {
        "slug": STRING,
        "url": URI,
        "html_url": URI,
        "name": STRING,
        "short_name": STRING,
        "kind": enum(Party.Kind.choices),
        "aliases": array(STRING),
        "demonyms": array(STRING),
        "description": STRING,
        "side_in": array(obj({"slug": STRING, "name": STRING, "side": INT})),
        "third_party_in": array(REF),
        "statement_count": null(INT),
    }
)


def extend(base: Schema, extra: dict[str, Schema]) -> Schema:
    return obj({**base["properties"], **extra})


LINKS: Schema = {"type": "object", "additionalProperties": URI}

INCIDENT_DETAIL = extend(
    INCIDENT,
    {
        "sides": array(REF),
        "third_parties": array(REF),
        "points_of_contention": array(
            obj({"id": INT, "label": STRING, "description": STRING, "order": INT})
        ),
        "statement_count": INT,
        "statements": array(
            obj(
                {
                    "id": INT,
                    "url": URI,
                    "actor": STRING,
                    "party": STRING,
                    "issued_on": PRECISE_DATE,
                    "issued_precision": PRECISION,
                    "statement_type": STRING,
                    "kind": STRING,
                    "status": STRING,
                    "text": STRING,
                }
            )
        ),
        "related": array(obj({"slug": STRING, "title": STRING, "url": URI})),
        "links": LINKS,
    },
)

SPAN = {
    "quote": STRING,
    "start": INT,
    "end": INT,
    "needs_review": BOOL,
}
STATEMENT_DETAIL = extend(
    STATEMENT,
    {
        "claims": array(
            obj(
                {
                    "id": INT,
                    "point": obj({"id": INT, "label": STRING}),
                    **SPAN,
                    "figure": null({"type": ["string", "number"]}),
                    "figure_unit": STRING,
                }
            )
        ),
        "annotations": array(
            obj(
                {
                    "id": INT,
                    "url": URI,
                    "tag": enum(Annotation.Tag.choices),
                    "body": STRING,
                    "visibility": enum(Annotation.Visibility.choices),
                    **SPAN,
                    "prefix": STRING,
                    "suffix": STRING,
                    "created_at": DATETIME,
                    "updated_at": DATETIME,
                }
            )
        ),
        "links": LINKS,
    },
)

ERROR = obj(
    {
        "error": STRING,
        "status": INT,
        "details": {"type": "object", "additionalProperties": array(STRING)},
    },
    optional=("details",),
)

# Web Annotations are described loosely (their own standard defines them); the
# suite checks them against the W3C model's rules (tests/api/test_web_annotation.py).
ANNOTATION: Schema = {
    "type": "object",
    "required": ["id", "type", "target"],
    "properties": {"id": URI, "type": {"const": "Annotation"}, "target": {"type": "object"}},
}
ANNOTATION_CONTAINER: Schema = {
    "type": "object",
    "required": ["type"],
    "properties": {"type": {"enum": ["AnnotationCollection", "AnnotationPage"]}},
}
CLAIM: Schema = {
    "type": "object",
    "required": ["@context", "@type", "text", "author"],
    "properties": {
        "@type": {"const": "Claim"},
        "text": STRING,
        "datePublished": PRECISE_DATE,
    },
}


def list_of(item: str) -> Schema:
    return obj(
        {
            "count": INT,
            "page": null(INT),
            "page_size": INT,
            "num_pages": INT,
            "next": null(URI),
            "previous": null(URI),
            "sort": STRING,
            "visibility": {"enum": ["public", "internal"]},
            "license": URI,
            "filters": {"type": "object"},
            "results": array(ref(item)),
        }
    )


COMPONENTS: dict[str, Schema] = {
    "Error": ERROR,
    "Incident": INCIDENT,
    "IncidentDetail": INCIDENT_DETAIL,
    "IncidentList": list_of("Incident"),
    "Statement": STATEMENT,
    "StatementDetail": STATEMENT_DETAIL,
    "StatementList": list_of("Statement"),
    "Actor": ACTOR,
    "ActorDetail": extend(ACTOR, {"links": LINKS}),
    "ActorList": list_of("Actor"),
    "Party": PARTY,
    "PartyDetail": extend(
        PARTY, {"actors": array(obj({"slug": STRING, "name": STRING, "url": URI})), "links": LINKS}
    ),
    "PartyList": list_of("Party"),
    "Source": SOURCE,
    "SourceDetail": extend(SOURCE, {"links": LINKS}),
    "SourceList": list_of("Source"),
    "Annotation": ANNOTATION,
    "AnnotationContainer": ANNOTATION_CONTAINER,
    "Claim": CLAIM,
    "Index": {"type": "object", "required": ["name", "endpoints", "license"]},
    "Export": {
        "type": "object",
        "required": ["generated_at", "visibility", "license", "filters", "columns", "results"],
        "properties": {"results": array({"type": "object"}), "columns": array(STRING)},
    },
}


# --- parameters, from the forms -------------------------------------------------------


def field_schema(field: forms.Field) -> Schema:
    if isinstance(field, forms.ChoiceField):
        choices: Any = field.choices
        return {"type": "string", "enum": [v for v, _ in choices if v != ""]}
    if isinstance(field, forms.IntegerField):
        schema: Schema = {"type": "integer"}
        if field.min_value is not None:
            schema["minimum"] = field.min_value
        if field.max_value is not None:
            schema["maximum"] = field.max_value
        return schema
    if isinstance(field, forms.DateTimeField):
        return DATETIME
    if isinstance(field, forms.DateField):
        return DATE
    if isinstance(field, forms.SlugField):
        return {"type": "string", "pattern": r"^[-a-zA-Z0-9_]+$"}
    schema = {"type": "string"}
    max_length = getattr(field, "max_length", None)
    if max_length:
        schema["maxLength"] = max_length
    return schema


def query(form_class: type[forms.Form], *, paged: bool = False) -> list[Schema]:
    params = [
        {
            "name": name,
            "in": "query",
            "required": False,
            "schema": field_schema(field),
            **({"description": str(field.help_text)} if field.help_text else {}),
        }
        for name, field in form_class.base_fields.items()
    ]
    if paged:
        sorts = getattr(form_class, "SORTS", None)
        paging = filters.PageForm.base_fields
        for name in PAGING_PARAMS:
            schema = field_schema(paging[name])
            if name == "sort" and sorts:
                schema = {"type": "string", "enum": sorts, "default": sorts[0]}
            params.append({"name": name, "in": "query", "required": False, "schema": schema})
    return params


def path_param(name: str, schema: Schema) -> Schema:
    return {"name": name, "in": "path", "required": True, "schema": schema}


SLUG = path_param("slug", {"type": "string"})
PK = path_param("pk", {"type": "integer", "minimum": 1})
ERRORS = {
    code: {
        "description": text,
        "content": {"application/json": {"schema": ref("Error")}},
    }
    for code, text in (
        ("400", "Unknown or invalid query parameters; details name each."),
        ("404", "Not found, or not visible to the requester."),
        ("405", "The API is read-only."),
    )
}
NOT_MODIFIED = {"304": {"description": "The copy named by If-None-Match is current."}}


def get(
    summary: str,
    schema: Schema,
    *,
    params: list[Schema] | None = None,
    media: str = "application/json",
) -> Schema:
    return {
        "get": {
            "summary": summary,
            "parameters": params or [],
            "responses": {
                "200": {"description": "OK", "content": {media: {"schema": schema}}},
                **NOT_MODIFIED,
                **ERRORS,
            },
        }
    }


ANNO_MEDIA = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
TEXT = {"type": "string"}


def document(request: HttpRequest) -> Schema:
    f = filters
    paths: dict[str, Schema] = {
        "/api/": get("Every endpoint's URL", ref("Index")),
        "/api/incidents/": get(
            "Incidents", ref("IncidentList"), params=query(f.IncidentQueryForm, paged=True)
        ),
        "/api/incidents/{slug}/": get("One incident", ref("IncidentDetail"), params=[SLUG]),
        "/api/incidents/{slug}/annotations/": get(
            "Annotations on an incident's statements",
            ref("AnnotationContainer"),
            params=[SLUG, *query(f.AnnotationFilterForm, paged=True)],
            media=ANNO_MEDIA,
        ),
        "/api/statements/": get(
            "Statements", ref("StatementList"), params=query(f.StatementFilterForm, paged=True)
        ),
        "/api/statements/{pk}/": get("One statement", ref("StatementDetail"), params=[PK]),
        "/api/statements/{pk}/annotations/": get(
            "Annotations on a statement",
            ref("AnnotationContainer"),
            params=[PK, *query(f.AnnotationFilterForm, paged=True)],
            media=ANNO_MEDIA,
        ),
        "/api/statements/{pk}/claim.jsonld": get(
            "The statement as a schema.org Claim",
            ref("Claim"),
            params=[PK],
            media="application/ld+json",
        ),
        "/api/statements/{pk}/text.txt": get(
            "The statement's words (what annotation selectors select from)",
            TEXT,
            params=[PK],
            media="text/plain",
        ),
        "/api/actors/": get(
            "Speakers", ref("ActorList"), params=query(f.ActorFilterForm, paged=True)
        ),
        "/api/actors/{slug}/": get("One speaker", ref("ActorDetail"), params=[SLUG]),
        "/api/parties/": get(
            "Parties", ref("PartyList"), params=query(f.PartyFilterForm, paged=True)
        ),
        "/api/parties/{slug}/": get("One party", ref("PartyDetail"), params=[SLUG]),
        "/api/sources/": get(
            "Sources", ref("SourceList"), params=query(f.SourceFilterForm, paged=True)
        ),
        "/api/sources/{pk}/": get("One source", ref("SourceDetail"), params=[PK]),
        "/api/sources/{pk}/archive.txt": get(
            "The archived text of a source", TEXT, params=[PK], media="text/plain"
        ),
        "/api/annotations/": get(
            "Every annotation",
            ref("AnnotationContainer"),
            params=query(f.AnnotationFilterForm, paged=True),
            media=ANNO_MEDIA,
        ),
        "/api/annotations/{pk}/": get(
            "One annotation", ref("Annotation"), params=[PK], media=ANNO_MEDIA
        ),
        "/api/feeds/incidents/": get(
            "Atom feed of newly published incidents",
            TEXT,
            params=[{"name": "conflict", "in": "query", "required": False, "schema": STRING}],
            media="application/atom+xml",
        ),
        "/api/openapi.json": get("This document", {"type": "object"}),
        **{
            f"/api/export/{name}.geojson": get(
                what,
                {"type": "object"},
                params=query(filters.IncidentQueryForm),
                media="application/geo+json",
            )
            for name, what in (
                ("incidents", "The incidents at their places, as a GeoJSON FeatureCollection"),
                ("locations", "The locations claims state, as a GeoJSON FeatureCollection"),
            )
        },
    }
    for name, dataset in DATASETS.items():
        for fmt, writer in WRITERS.items():
            media = writer.content_type.split(";")[0]
            schema = ref("Export") if media == "application/json" else TEXT
            paths[f"/api/export/{name}.{fmt}"] = get(
                f"Download the {name} ({fmt})", schema, params=query(dataset.form), media=media
            )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Parallax API",
            "version": "1",
            "summary": "Official statements on incidents, attributed; read-only.",
            "description": (
                "Drafts and internal notes are shown only to signed-in analysts and "
                "editors. Errors are JSON; unknown query parameters are refused."
            ),
            "license": {"name": settings.DATA_LICENSE, "url": settings.DATA_LICENSE_URL},
        },
        "servers": [{"url": request.build_absolute_uri("/").rstrip("/")}],
        "paths": paths,
        "components": {"schemas": COMPONENTS},
    }


@endpoint()
def openapi_view(request: HttpRequest) -> HttpResponse:
    return conditional_json(request, lambda: document(request))

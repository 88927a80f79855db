"""{% claim_jsonld statement %}: the statement as an embedded schema.org Claim.

Used by templates/api/_claim_jsonld.html, which the statement page includes in its
<head>. The caller has already checked that the user may see the statement.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from api.jsonld import claim_document, ld_json_script
from incidents.models import Statement

register = template.Library()


@register.simple_tag(takes_context=True)
def claim_jsonld(context: template.Context, statement: Statement) -> SafeString:
    return ld_json_script(claim_document(context.get("request"), statement))

from django.http import HttpRequest, HttpResponse


def incident_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Parallax")


incident_detail = statement_detail = actor_detail = party_detail = source_detail = incident_list

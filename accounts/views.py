from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from core.http import HtmxHttpRequest


@login_required
def profile(request: HtmxHttpRequest) -> HttpResponse:
    """Who am I, what may I do: role and links to the password pages."""
    return render(request, "accounts/profile.html", {"account": request.user})

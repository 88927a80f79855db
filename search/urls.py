from django.urls import path

from core.cache import public_page

from . import views

app_name = "search"

# Anonymous searches are served from the shared page cache, invalidated by a change
# to the words, titles or names searched (core.cache, incidents/caching.py); analysts
# and editors always search afresh.
urlpatterns = [
    path("", public_page(views.results), name="results"),
]

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("incidents.urls")),
    path("accounts/", include("accounts.urls")),
    path("edit/", include("editing.urls")),
    path("import/", include("imports.urls")),
    path("search/", include("search.urls")),
    path("analysis/", include("analysis.urls")),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
]

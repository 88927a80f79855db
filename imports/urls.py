from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.new, name="new"),
    path("<int:pk>/", views.review, name="review"),
    path("<int:pk>/statements/<int:index>/", views.decide, name="decide"),
    path("<int:pk>/save-count/", views.save_summary, name="save_count"),
    path("<int:pk>/save/", views.save, name="save"),
    path("<int:pk>/discard/", views.discard, name="discard"),
    path("bulk/", views.bulk, name="bulk"),
    path("jobs/<int:pk>/", views.job, name="job"),
    path("jobs/<int:pk>/retry/", views.job_retry, name="job_retry"),
    path("jobs/<int:pk>/discard/", views.job_discard, name="job_discard"),
]

from django.urls import path

from config.pending import not_yet

app_name = "accounts"

urlpatterns = [
    path("login/", not_yet, name="login"),
    path("logout/", not_yet, name="logout"),
]

from django.urls import path

from courseware import views as site_views

app_name = "quizzes"
urlpatterns = [
    path("", site_views.coming_soon, {"pillar": "quizzes"}, name="index"),
]

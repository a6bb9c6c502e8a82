from django.contrib import admin
from django.urls import include, path

from courseware import views

admin.site.site_header = "Serverless Academy: instructors"
admin.site.site_title = "Serverless Academy admin"
admin.site.index_title = "Content and learners"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("cheatsheets/", include("cheatsheets.urls")),
    path("quizzes/", views.coming_soon, {"pillar": "quizzes"}, name="quizzes"),
    path("labs/", views.coming_soon, {"pillar": "labs"}, name="labs"),
    path("admin/", admin.site.urls),
]

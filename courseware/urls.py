from django.contrib import admin
from django.urls import include, path

from courseware import views

admin.site.site_header = "Serverless Academy: instructors"
admin.site.site_title = "Serverless Academy admin"
admin.site.index_title = "Content and learners"

urlpatterns = [
    path("", views.home, name="home"),
    # The most requested pages first: a request tries the patterns in order (none of them overlap).
    path("cheatsheets/", include("cheatsheets.urls")),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("healthz", views.health, name="health"),
    path("path/sheet/<slug:slug>/", views.sheet_path, name="sheet_path"),
    path("path/lab/<slug:slug>/", views.lab_path, name="lab_path"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password_reset/done/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("quizzes/", include("quizzes.urls")),
    path("labs/", include("labs.urls")),
    path("admin/", admin.site.urls),
]

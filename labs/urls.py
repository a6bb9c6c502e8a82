from django.urls import path, re_path

from labs import views

app_name = "labs"
urlpatterns = [
    path("", views.index, name="index"),
    path("runs/<int:pk>/", views.run, name="run"),
    path("runs/<int:pk>/live/", views.run_live, name="run_live"),
    path("runs/<int:pk>/action/", views.run_action, name="run_action"),
    path("runs/<int:pk>/teardown/", views.run_teardown, name="run_teardown"),
    path("runs/<int:pk>/files/<slug:name>.zip", views.run_files, name="run_files"),
    # The deployed app, through the site: the bucket's website, and the API in the learner's account.
    path("runs/<int:pk>/site/", views.run_site, {"path": ""}, name="run_site"),
    re_path(r"^runs/(?P<pk>\d+)/site/(?P<path>.+)$", views.run_site, name="run_site_path"),
    path("runs/<int:pk>/api/", views.run_api, {"path": ""}, name="run_api_root"),
    re_path(r"^runs/(?P<pk>\d+)/api/(?P<path>.*)$", views.run_api, name="run_api"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/start/", views.start, name="start"),
]

from django.urls import path, re_path

from labs import securedapi_views, video_views, views, workflow_views
from own_account import views as account_views

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
    # The video lab's renditions: listed, served (local sandbox) or presigned (AWS), and your own uploads.
    path("runs/<int:pk>/videos/", video_views.run_videos, name="video_list"),
    path("runs/<int:pk>/videos/upload/", video_views.run_video_upload, name="video_upload"),
    path("runs/<int:pk>/videos/keep-layer/", video_views.run_keep_layer, name="video_keep_layer"),
    re_path(r"^runs/(?P<pk>\d+)/media/(?P<key>.+)$", video_views.run_media, name="video_media"),
    # The workflow lab's state machine, lit up from an execution's history, and a form to start one.
    path("runs/<int:pk>/workflow/", workflow_views.run_workflow, name="workflow_view"),
    path("runs/<int:pk>/workflow/start/", workflow_views.run_workflow_start, name="workflow_start"),
    # The secured-API lab: sign up, sign in, call both APIs (server-side, in the run's sandbox).
    path("runs/<int:pk>/secured/", securedapi_views.panel, name="securedapi_panel"),
    path("runs/<int:pk>/secured/sign-up/", securedapi_views.sign_up, name="securedapi_sign_up"),
    path("runs/<int:pk>/secured/sign-in/", securedapi_views.sign_in, name="securedapi_sign_in"),
    path("runs/<int:pk>/secured/sign-out/", securedapi_views.sign_out, name="securedapi_sign_out"),
    path("runs/<int:pk>/secured/call/", securedapi_views.call_api, name="securedapi_call"),
    # Your own AWS account: connect (role or keys), confirm, and the runs still holding resources.
    path("account/", account_views.account, name="account"),
    path("account/template.yaml", account_views.account_template, name="account_template"),
    path("account/role/", account_views.account_role, name="account_role"),
    path("account/keys/", account_views.account_keys, name="account_keys"),
    path("account/check/", account_views.account_check, name="account_check"),
    path("account/confirm/", account_views.account_confirm, name="account_confirm"),
    path("account/disconnect/", account_views.account_disconnect, name="account_disconnect"),
    path("runs/holding/", account_views.holding, name="holding"),
    path("runs/holding/teardown/", account_views.holding_teardown, name="holding_teardown"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/start/", views.start, name="start"),
]

from django.urls import path

from cheatsheets import views

app_name = "cheatsheets"
urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/review/", views.toggle_review, name="toggle_review"),
]

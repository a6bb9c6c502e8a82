from django.urls import path

from quizzes import views

app_name = "quizzes"
urlpatterns = [
    path("", views.index, name="index"),
    path("review-my-mistakes/start/", views.start_review, name="start_review"),
    path("attempts/<int:pk>/", views.attempt, name="attempt"),
    path("attempts/<int:pk>/q/<int:number>/", views.practice, name="practice"),
    path("attempts/<int:pk>/q/<int:number>/answer/", views.answer, name="answer"),
    path("attempts/<int:pk>/q/<int:number>/flag/", views.flag, name="flag"),
    path("attempts/<int:pk>/review/", views.review, name="review"),
    path("attempts/<int:pk>/submit/", views.submit, name="submit"),
    path("attempts/<int:pk>/results/", views.results, name="results"),
    path("attempts/<int:pk>/retake-missed/", views.retake_missed, name="retake_missed"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/start/", views.start, name="start"),
]

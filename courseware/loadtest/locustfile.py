"""The 200-learner load test (`manage.py bench load`), run by Locust against 127.0.0.1 only.

Three kinds of simulated learners, each signed in with a session the benchmark made:
readers browse and search the cheat sheets; exam candidates start a 65-question mock exam,
answer every question (each answer saved as the exam page saves it, with JSON), open the
review screen and submit; lab learners poll a lab run page as its htmx does. Every answer a
candidate saved is written to LOADTEST_SAVED so the benchmark can check, after the run, that
each one is in the database and graded.
"""

import itertools
import json
import os
import random
import re
import threading

from locust import HttpUser, between, task

LEARNERS = json.loads(open(os.environ["LOADTEST_USERS"]).read())
SHEETS = LEARNERS[0]["sheets"]
EXAM = LEARNERS[0]["exam"]
TERMS = ["lambda concurrency", "sqs visibility", "dynamodb gsi", "dlq", "api gateway throttling", "step functions",
         "kinesis shards", "cognito", "s3 event", "aurora serverless"]
_who = itertools.count()
_saved_lock = threading.Lock()
_saved = open(os.environ["LOADTEST_SAVED"], "a", buffering=1)
_QUESTION = re.compile(r'data-question="(\d+)".*?(?=data-question="|\Z)', re.S)
_OPTION = re.compile(r'name="option" value="(\d+)"')


class Learner(HttpUser):
    abstract = True

    def on_start(self):
        me = LEARNERS[next(_who) % len(LEARNERS)]
        self.client.cookies.set(me["cookie_name"], me["session"])
        self.run_id = me["run"]
        self.client.get("/dashboard/", name="dashboard")
        self.csrf = self.client.cookies.get("csrftoken", "")

    def post(self, url, data, name, json_reply=False):
        headers = {"X-CSRFToken": self.csrf, "Referer": self.host + url}
        if json_reply:
            headers["Accept"] = "application/json"
        return self.client.post(url, data=data, headers=headers, name=name, allow_redirects=False)


class Reader(Learner):
    weight = 5
    wait_time = between(1, 4)

    @task(4)
    def sheet(self):
        self.client.get(f"/cheatsheets/{random.choice(SHEETS)}/", name="sheet page")

    @task(1)
    def index(self):
        self.client.get("/cheatsheets/", name="sheet index")

    @task(2)
    def search(self):
        self.client.get("/cheatsheets/search/", params={"q": random.choice(TERMS)}, name="search")


class Candidate(Learner):
    weight = 3
    wait_time = between(0.5, 1.5)

    def on_start(self):
        super().on_start()
        self.start_exam()

    def start_exam(self):
        started = self.post(f"/quizzes/{EXAM}/start/", {}, "exam start")
        self.attempt_url = started.headers.get("Location", "")
        page = self.client.get(self.attempt_url, name="exam page").text
        self.attempt_id = int(re.search(r"/attempts/(\d+)/", self.attempt_url).group(1))
        self.questions = [(int(m.group(1)), _OPTION.findall(m.group(0))) for m in _QUESTION.finditer(page)]
        self.next = 0

    @task
    def answer_or_submit(self):
        if self.next < len(self.questions):
            number, options = self.questions[self.next]
            choice = [random.choice(options)] if options else []
            reply = self.post(f"/quizzes/attempts/{self.attempt_id}/q/{number}/answer/", {"option": choice,
                              "time_spent": "20"}, "answer save", json_reply=True)
            if reply.status_code == 200 and reply.json().get("ok"):
                with _saved_lock:
                    _saved.write(f"{self.attempt_id} {number - 1} {','.join(choice)}\n")
            self.next += 1
            return
        self.client.get(f"/quizzes/attempts/{self.attempt_id}/review/", name="exam review")
        self.post(f"/quizzes/attempts/{self.attempt_id}/submit/", {}, "exam submit")
        self.client.get(f"/quizzes/attempts/{self.attempt_id}/results/", name="exam results")
        self.start_exam()


class LabLearner(Learner):
    weight = 2
    wait_time = between(2, 3)  # the run page polls every 2 s

    @task(1)
    def page(self):
        self.client.get(f"/labs/runs/{self.run_id}/", name="lab run page")

    @task(8)
    def poll(self):
        self.client.get(f"/labs/runs/{self.run_id}/live/", params={"after": "0"}, name="lab run poll")

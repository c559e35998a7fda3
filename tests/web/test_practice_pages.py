"""The practice pages over TestClient: list, exercise page with its starting file and last grade,
the question page's practice box, and a 404 for an unknown exercise."""

from __future__ import annotations

from fastapi.testclient import TestClient

from dlproof.practice import exercise, grader, results


def _client(tmp_path):
    from dlproof.web.app import create_app

    study = tmp_path / "study.sqlite3"
    return TestClient(create_app(study_path=study, fuzz=False), base_url="http://127.0.0.1"), study


def test_practice_list_and_exercise_page_show_the_file_and_the_last_grade(tmp_path):
    client, study = _client(tmp_path)
    r = client.get("/practice")
    assert r.status_code == 200
    for ex_id in exercise.all_exercises():
        assert f'data-exercise="{ex_id}"' in r.text
    r = client.get("/practice/softmax-jacobian")
    assert r.status_code == 200 and "Not graded yet." in r.text
    assert "def softmax_jacobian(s: np.ndarray)" in r.text and "dlproof grade softmax-jacobian" in r.text

    sol = tmp_path / "sol.py"
    sol.write_text("import numpy as np\n\ndef softmax_jacobian(s):\n    return np.diag(s * (1 - s))\n")
    ex = exercise.get("softmax-jacobian")
    results.record(grader.grade(ex, sol, seed=0), ex.question, path=study)
    r = client.get("/practice/softmax-jacobian")
    assert "Not graded yet." not in r.text, r.text[r.text.find("last-grade"):][:400]
    assert "1/5" in r.text and "off-diagonal terms" in r.text  # K = 1 is the one case it gets right


def test_question_page_links_its_exercises(tmp_path):
    client, _ = _client(tmp_path)
    r = client.get("/q/softmax-derivative")
    assert r.status_code == 200
    assert 'id="practice"' in r.text and 'href="/practice/softmax-jacobian"' in r.text
    r = client.get("/q/rnn-vanishing-gradient")  # no exercise: no box
    assert 'id="practice"' not in r.text


def test_unknown_exercise_is_a_404_page(tmp_path):
    client, _ = _client(tmp_path)
    r = client.get("/practice/softmax-jacobain")
    assert r.status_code == 404 and "Unknown exercise" in r.text

"""The benchmark runner's own parts that involve no timing: reading wrk's report and printing the table."""

from __future__ import annotations

import pytest

from bench.runner import Page, Result, parse_wrk, table

WRK_REPORT = """Running 3s test @ http://127.0.0.1:5000/people
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    10.12ms    2.01ms  30.00ms   90.00%
    Req/Sec   395.00     20.00   420.00     80.00%
  1185 requests in 3.00s, 9.50MB read
Requests/sec:    394.87
Transfer/sec:      3.16MB
"""


def test_the_rate_is_read_from_wrk_s_report():
    assert parse_wrk(WRK_REPORT) == pytest.approx(394.87)


def test_error_answers_stop_the_run_rather_than_count_as_speed():
    report = WRK_REPORT.replace("Requests/sec", "  Non-2xx or 3xx responses: 1185\nRequests/sec")
    with pytest.raises(RuntimeError, match="1185 answers were errors"):
        parse_wrk(report)


def test_the_table_gives_each_page_its_ratio_to_livez():
    result = Result(Page("people", "/people"), rates=[390.0, 400.0, 410.0], statements=5)
    text = table([result], livez=4000.0)
    assert "| people   | /people | 400   | 10.0     | 5           |" in text
    assert text.splitlines()[2].startswith("| liveness | /livez  | 4000")


@pytest.mark.csrf
def test_a_signed_in_page_is_asked_for_with_a_cookie_it_does_not_rewrite(app, make_user):
    """As a browser after its first page: otherwise every answer would carry a new session cookie, and the
    benchmark would measure that rather than the page."""
    import contextvars

    from bench.runner import client_like_wrk, count_statements, session_cookie

    make_user("bench@example.org", name="Bench Person")
    with app.app_context():
        cookie = session_cookie(app, "bench@example.org")
        response = contextvars.Context().run(client_like_wrk(app).get, "/", headers={"Cookie": cookie})
        assert response.status_code == 200 and "Sign out" in response.get_data(as_text=True)
        assert "Set-Cookie" not in response.headers
        assert count_statements(app, "/", cookie) > 0

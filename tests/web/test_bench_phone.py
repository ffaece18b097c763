"""``python -m bench phone`` kept working: the same run with 50 pages and a few calls. What
it measures is checked for being there and whole (every call heard by its page and the
display), never for how fast."""

from __future__ import annotations

import pytest

from bench import phone

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def test_the_phone_benchmark_runs_with_50_pages() -> None:
    result = phone.run(pages=50, calls=6)
    assert (result["tickets"], result["opened"], result["calls"]) == (50, 50, 6)
    assert result["missed"] == 0, "every called ticket's page heard its call"
    assert len(result["page_from_reply"]) == len(result["page_from_send"]) == 6
    assert len(result["display_without"]) == len(result["display_with"]) == 6
    assert result["frames"] >= 6
    before, after = result["web_kib"]
    assert before > 0
    assert after > 0
    lines = phone.report(result, 50)
    assert any(line.startswith("call -> page (from the counter's reply): p50") for line in lines)
    assert any("KiB a page" in line for line in lines)

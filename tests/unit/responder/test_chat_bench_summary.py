"""``kefu bench responder``'s figures keep generated answers apart from cached and handed-off ones."""

from __future__ import annotations

from serving.chat_bench import Turn, summarize


def _turn(ttft_s: float, kefu: dict[str, object], error: str | None = None) -> Turn:
    return Turn(ttft_s=ttft_s, total_s=ttft_s + 0.5, chunks=3, text="好的", kefu=kefu, error=error)


def test_cached_answers_do_not_hide_in_the_generated_quantiles() -> None:
    turns = [
        _turn(1.8, {"model_profile": "quality", "citations": [1]}),
        _turn(2.0, {"model_profile": "quality"}),
        _turn(0.05, {"model_profile": "cache"}),
        _turn(0.06, {"model_profile": "cache"}),
        _turn(0.3, {"model_profile": "handoff", "handoff": {"reason": "low_confidence"}}),
        _turn(9.9, {}, error="http_503"),
    ]

    report = summarize(turns)

    assert report["requests"] == 6
    assert report["errors"] == 1
    assert report["error_kinds"] == {"http_503": 1}
    assert report["outcomes"] == {"quality": 2, "cache": 2, "handoff:low_confidence": 1}
    assert report["by_outcome"]["quality"]["n"] == 2
    assert report["by_outcome"]["quality"]["ttft_s"]["p50"] == 1.9
    assert report["by_outcome"]["cache"]["ttft_s"]["max"] == 0.06
    assert report["ttft_s"]["p50"] == 0.3  # the mixed figure, which alone would read as fast generation
    assert report["with_citations"] == 1


def test_no_answered_turns_gives_empty_figures() -> None:
    report = summarize([_turn(1.0, {}, error="no_done")])

    assert report["outcomes"] == {}
    assert report["by_outcome"] == {}
    assert report["ttft_s"] == {"p50": None, "p95": None, "max": None}
    assert report["content_chunks_per_reply"] is None

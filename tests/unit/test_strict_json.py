"""smsim.strict_json: the one reader of JSON request bodies, and strict JSON out."""

from __future__ import annotations

import pytest

from smsim import strict_json
from smsim.simulator.config import SimulatorConfig
from smsim.simulator.engine import Engine
from smsim.simulator.http.app import create_app
from smsim.strict_json import JsonInputError


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"probability": NaN}', "probability"),
        ('{"a": {"b": [1, Infinity]}}', "a.b[1]"),
        ('{"a": -Infinity}', "a"),
        ('{"seconds": 1e400}', "seconds"),
        ('{"count": 9223372036854775808}', "count"),
        ('{"rules": [{}, {"count": -9223372036854775809}]}', "rules[1].count"),
        ("[" * 100_000, "body"),
        ('{"a":' * 33 + "1" + "}" * 33, "a." * 31 + "a"),
        ("{nope", "body"),
        (b"\xff", "body"),
    ],
)
def test_refusals_name_where_the_problem_is(text, where):
    with pytest.raises(JsonInputError) as caught:
        strict_json.loads(text)
    assert caught.value.where == where
    assert str(caught.value).startswith(f"{where}: ")


def test_ordinary_bodies_pass_unchanged():
    body = '{"a": [1, 2.5, -3, true, null, "x"], "b": {"c": 9223372036854775807}}'
    assert strict_json.loads(body.encode()) == {
        "a": [1, 2.5, -3, True, None, "x"],
        "b": {"c": 2**63 - 1},
    }
    nested = '{"a":' * 31 + "1" + "}" * 31  # 31 objects plus the body's own: 32 levels
    strict_json.loads(nested)


def test_the_simulators_answers_never_hold_nan():
    engine = Engine(SimulatorConfig(memory=True, clock="virtual"))
    try:
        app = create_app(engine=engine)
        with pytest.raises(ValueError):
            app.json.dumps({"probability": float("nan")})
        assert app.json.dumps({"a": 1.5}) == '{"a": 1.5}'
    finally:
        engine.close()

"""Schema fuzzing of the REST API: for each role, every operation of /api/schema/, alone and
chained through the schema's links, answers without a server error and as documented (status
code, content type, body), and every 4xx answer carries an error code (tilab/api_errors.py).

Reproducible: examples are derived from the test, not drawn at random, and nothing is kept
between runs. FUZZ_EXAMPLES (per operation, role and mode) and FUZZ_SCENARIOS (linked scenarios
per role) raise the effort locally, e.g. `FUZZ_EXAMPLES=100 FUZZ_SCENARIOS=200 pytest tests/api`.
"""

import os
import time

import hypothesis
import pytest
import schemathesis
from django.db import transaction
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.world import ANONYMOUS, ROLES


@schemathesis.check
def an_error_has_a_code(ctx, response, case) -> None:
    """A 4xx answer says what went wrong with a stable code a program compares."""
    if 400 <= response.status_code < 500:
        body = response.json()
        assert isinstance(body, dict) and isinstance(body.get("code"), str) and body["code"], (
            f"{response.status_code} without an error code: {body!r}"
        )


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    an_error_has_a_code,
]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
SCENARIOS = int(os.environ.get("FUZZ_SCENARIOS", "20"))


def settings(**overrides) -> hypothesis.settings:
    return hypothesis.settings(
        derandomize=True,
        database=None,
        deadline=None,
        # Every example changes the database: replaying one to shrink it meets another state.
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        # About speed and size only: a request through the whole stack is not a unit test.
        suppress_health_check=[
            hypothesis.HealthCheck.too_slow,
            hypothesis.HealthCheck.data_too_large,
            hypothesis.HealthCheck.large_base_example,
        ],
        **overrides,
    )


def existing_ids(world, path: str) -> list[dict]:
    """Path parameters naming objects of the world, for the operations on one object."""
    for collection, ids in world.ids.items():
        if path.startswith(collection + "{"):
            name = path[len(collection) + 1 : path.index("}")]
            return [{name: value} for value in ids]
    return []


def negatable(operation, *, path_given: bool) -> bool:
    """Whether a request to `operation` can be made invalid: through its body or query, or
    through a path value with a type or a pattern when the path is not given."""
    if operation.body.items or any(True for _ in operation.query):
        return True
    return not path_given and any(
        parameter.definition["schema"].get("pattern")
        or parameter.definition["schema"].get("type") != "string"
        for parameter in operation.path_parameters
    )


def fuzz(operation, mode: GenerationMode, *, known: list[dict], headers: dict, counter: list):
    """A Hypothesis test calling `operation` with generated requests, most of them on objects
    that exist (the others on generated ids); None when there is nothing to generate."""
    if mode is GenerationMode.NEGATIVE:
        if not negatable(operation, path_given=False):
            return None
        if not negatable(operation, path_given=True):
            # Only the path can be wrong: let it be generated.
            known = []

    @settings(max_examples=EXAMPLES)
    @hypothesis.given(data=st.data())
    def run(data):
        path = data.draw(st.sampled_from([*known, *known, None])) if known else None
        case = data.draw(operation.as_strategy(generation_mode=mode, path_parameters=path))
        response = case.call(headers=headers)
        counter.append(1)
        case.validate_response(response, checks=CHECKS, headers=headers)

    return run


def report(failures: list[str]) -> str:
    return f"{len(failures)} operations answered outside their schema:\n\n" + "\n\n".join(failures)


def failure(label: str, exc: BaseException, served) -> str:
    # A server error's traceback is worth more than its 500 page.
    text = f"--- {label}\n{exc}"
    if served.tracebacks:
        text += "\nServer traceback:\n" + served.tracebacks[-1]
        served.tracebacks.clear()
    return text


@pytest.mark.parametrize("role", [*ROLES, ANONYMOUS])
def test_every_operation_answers_as_documented_to(role, world, schema, served):
    headers = world.headers(role)
    results = list(schema.get_all_operations())
    assert all(isinstance(result, Ok) for result in results), results
    operations = [result.ok() for result in results]
    failures, counter, started = [], [], time.monotonic()
    for operation in operations:
        known = existing_ids(world, operation.path)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            test = fuzz(operation, mode, known=known, headers=headers, counter=counter)
            if test is None:
                continue
            try:
                test()
            except (Exception, FailureGroup) as exc:
                failures.append(failure(f"{operation.label} ({mode.value})", exc, served))
    print(
        f"{role}: {len(operations)} operations, {len(counter)} requests "
        f"in {time.monotonic() - started:.1f} s"
    )
    assert not failures, report(failures)


@pytest.mark.parametrize("role", [*ROLES, ANONYMOUS])
def test_linked_operations_answer_as_documented_to(role, world, linked_schema, served):
    headers = world.headers(role)
    counter, started = [], time.monotonic()

    class Scenarios(linked_schema.as_state_machine()):
        # Each scenario starts from the same world: Hypothesis replays the start of one to
        # build others, and must meet the same answers.
        def setup(self):
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        def get_call_kwargs(self, case):
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            counter.append(1)
            case.validate_response(
                response,
                checks=CHECKS,
                headers=headers,
                transport_kwargs=kwargs,
                recorder=self.recorder,
            )

    try:
        Scenarios.run(settings=settings(max_examples=SCENARIOS, stateful_step_count=6))
    except (Exception, FailureGroup) as exc:
        pytest.fail(failure("linked scenario", exc, served))
    finally:
        print(f"{role}: {len(counter)} linked requests in {time.monotonic() - started:.1f} s")

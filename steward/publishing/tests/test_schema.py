"""The dataset schema: what the adapter refuses locally and the stand-in refuses remotely."""

from __future__ import annotations

from steward.publishing.schema import load_schema, validate_body
from steward.publishing.tests.bodies import body


def paths(problems: list) -> set[str]:
    return {problem.path for problem in problems}


def test_a_complete_body_is_valid() -> None:
    assert validate_body(body()) == []


def test_the_schema_lists_all_eighteen_service_categories() -> None:
    assert len(load_schema()["properties"]["categoryCode"]["enum"]) == 18


def test_missing_required_fields_are_named() -> None:
    problems = validate_body(body(title=None, publisherContactEmail=None))
    messages = " ".join(problem.message for problem in problems)
    assert "'title' is a required property" in messages
    assert "'publisherContactEmail' is a required property" in messages


def test_identifier_must_be_agency_code_dash_six_characters() -> None:
    assert paths(validate_body(body(identifier="A1701-000001"))) >= {"identifier"}


def test_unknown_category_type_and_cost_are_refused() -> None:
    problems = validate_body(body(categoryCode="J00", type="raw", cost="便宜"))
    assert paths(problems) >= {"categoryCode", "type", "cost"}


def test_title_longer_than_255_characters_is_refused() -> None:
    assert "title" in paths(validate_body(body(title="字" * 256)))


def test_description_longer_than_500_characters_is_refused() -> None:
    assert "description" in paths(validate_body(body(description="字" * 501)))


def test_dates_must_be_real_and_in_the_standard_format() -> None:
    problems = validate_body(
        body(temporalCoverageFrom="2026-02-30", issued="2026/01/05", modified="2026-01-05T09:00:00")
    )
    assert paths(problems) >= {"temporalCoverageFrom", "issued", "modified"}


def test_update_frequency_follows_the_standard_wording() -> None:
    for good in ("每日", "每10分鐘", "每1年", "即時", "不定期", "每半年", "不更新"):
        assert validate_body(body(accrualPeriodicity=good)) == [], good
    assert "accrualPeriodicity" in paths(validate_body(body(accrualPeriodicity="yearly")))


def test_a_dataset_needs_at_least_one_resource() -> None:
    assert "distribution" in paths(validate_body(body(distribution=[])))


def test_resource_id_must_extend_the_dataset_identifier() -> None:
    resource = dict(body()["distribution"][0], resourceID="A17020000J-000001-001")
    problems = validate_body(body(distribution=[resource]))
    assert [p.path for p in problems] == ["distribution/0/resourceID"]
    assert "does not start with the dataset identifier" in problems[0].message


def test_resource_ids_must_be_unique() -> None:
    resource = body()["distribution"][0]
    problems = validate_body(body(distribution=[resource, dict(resource)]))
    assert [p.path for p in problems] == ["distribution/1/resourceID"]


def test_unknown_keys_are_refused_so_typos_surface() -> None:
    assert validate_body(body(tittle="x")) != []


def test_a_body_that_is_not_an_object_is_refused() -> None:
    assert validate_body(["not", "a", "dict"]) != []

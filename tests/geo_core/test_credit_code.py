"""Unified social credit codes (GB 32100-2015): the same rule in Python (clear errors) and in the database."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_core.models import Enterprise
from geo_core.validation import USCC_ALPHABET, uscc_check_char, validate_credit_code


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L"])
def test_published_example_codes_are_valid(code):
    validate_credit_code(code)


def test_wrong_check_character_names_the_expected_one():
    with pytest.raises(ValidationError, match=r"check character is 'E', expected 'A'"):
        validate_credit_code("91310000607370123E")


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("9135010", "must have 18 characters, got 7"),
        ("91350100M000100YO3", "outside GB 32100 alphabet: 'O'"),
        ("9135A100M000100Y43", "positions 3-8"),
    ],
)
def test_malformed_codes_say_why(code, reason):
    with pytest.raises(ValidationError, match=reason):
        validate_credit_code(code)


@pytest.mark.django_db
def test_enterprise_full_clean_names_the_field(park):
    e = Enterprise(credit_code="91310000607370123E", name="x", company_code="X1", park=park)
    with pytest.raises(ValidationError) as err:
        e.full_clean()
    assert "credit_code" in err.value.message_dict
    assert "expected 'A'" in err.value.message_dict["credit_code"][0]


@pytest.mark.django_db
def test_database_refuses_an_invalid_code_that_skipped_validation(park):
    with pytest.raises(IntegrityError, match="enterprise_credit_code_valid"):
        Enterprise.objects.create(credit_code="91310000607370123E", name="x", company_code="X1", park=park)


body = st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9)


@pytest.mark.django_db
@settings(max_examples=200, deadline=None)
@given(
    head=st.sampled_from(["91", "92", "11", "51", "Y1"]), district=st.from_regex(r"[0-9]{6}", fullmatch=True), org=body
)
def test_python_and_sql_agree(head, district, org):
    first17 = head + district + org
    good = first17 + uscc_check_char(first17)
    bad = first17 + USCC_ALPHABET[(USCC_ALPHABET.index(good[-1]) + 1) % 31]
    with connection.cursor() as cur:
        cur.execute("SELECT geo_core_uscc_valid(%s), geo_core_uscc_valid(%s)", [good, bad])
        assert cur.fetchone() == (True, False)
    validate_credit_code(good)
    with pytest.raises(ValidationError):
        validate_credit_code(bad)

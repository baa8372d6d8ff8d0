"""Database refusals become typed connector errors that name the column and the problem, in words of our own: the
driver's message (and any SQLSTATE or error number) never reaches the detail."""

from __future__ import annotations

import sqlite3

import pymysql
import pytest
from sqlalchemy import exc as sa_exc

from ecmahost.connectors.errors import ConstraintViolation, MembersNotFound, ObjectExists, Problem, TargetUnavailable
from ecmahost.connectors.sql.errors import ReferenceViolation, translate


class PgError(Exception):
    """Stands in for a psycopg error: SQLSTATE and diagnostics as attributes."""

    def __init__(self, sqlstate: str, message: str, **diag: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.diag = type("Diag", (), {"message_primary": message, **diag})()


def wrapped(orig: BaseException) -> sa_exc.DBAPIError:
    return sa_exc.DBAPIError("INSERT ...", {"secret": "p4ss"}, orig)


RAW = ("constraint failed", "violates", "cannot be null", "Data too long", "varying", "23502", "1048", "p4ss")


@pytest.mark.parametrize(
    ("orig", "column"),
    [
        (sqlite3.IntegrityError("NOT NULL constraint failed: Employees.ContosoLogin"), "ContosoLogin"),
        (sqlite3.IntegrityError("NOT NULL constraint failed: main.Employees.ContosoLogin"), "ContosoLogin"),
        (pymysql.err.IntegrityError(1048, "Column 'ContosoLogin' cannot be null"), "ContosoLogin"),
        (pymysql.err.OperationalError(1364, "Field 'IsSoftDeleted' doesn't have a default value"), "IsSoftDeleted"),
        (
            PgError(
                "23502",
                'null value in column "ContosoLogin" of relation "Employees" violates not-null constraint',
                column_name="ContosoLogin",
            ),
            "ContosoLogin",
        ),
        (PgError("23502", 'null value in column "Login" of relation "People" violates not-null constraint'), "Login"),
    ],
)
def test_a_missing_required_value_names_the_column(orig: BaseException, column: str) -> None:
    error = translate(wrapped(orig), {})
    assert isinstance(error, ConstraintViolation)
    assert error.problem is Problem.REQUIRED
    assert error.attribute == column
    assert error.detail == f"{column} is required by the target: send it or give the column a default"


@pytest.mark.parametrize(
    ("orig", "column", "problem"),
    [
        (pymysql.err.DataError(1406, "Data too long for column 'Title' at row 1"), "Title", Problem.TOO_LONG),
        (PgError("22001", "value too long for type character varying(128)"), None, Problem.TOO_LONG),
        (
            pymysql.err.DataError(1366, "Incorrect integer value: 'abc' for column `db`.`T`.`Age` at row 1"),
            "Age",
            Problem.BAD_VALUE,
        ),
        (PgError("22P02", 'invalid input syntax for type integer: "abc"'), None, Problem.BAD_VALUE),
        (sqlite3.IntegrityError("cannot store TEXT value in INTEGER column People.Age"), "Age", Problem.BAD_VALUE),
    ],
)
def test_too_long_and_wrong_type_name_the_column_when_the_driver_does(
    orig: BaseException, column: str | None, problem: Problem
) -> None:
    error = translate(wrapped(orig), {})
    assert isinstance(error, ConstraintViolation)
    assert error.problem is problem
    assert error.attribute == column
    if column is not None:
        assert error.detail.startswith(f"{column}: ")
    assert not any(raw in error.detail for raw in RAW), error.detail


@pytest.mark.parametrize(
    "orig",
    [
        sqlite3.IntegrityError("FOREIGN KEY constraint failed"),
        pymysql.err.IntegrityError(
            1452,
            "Cannot add or update a child row: a foreign key constraint fails (`db`.`GroupMembers`, CONSTRAINT "
            "`GroupMembers_ibfk_2` FOREIGN KEY (`MemberGUID`) REFERENCES `Employees` (`InternalGUID`))",
        ),
        PgError("23503", 'insert or update on table "GroupMembers" violates foreign key constraint "fk"'),
    ],
)
def test_a_foreign_key_refusal_is_a_reference_violation_without_the_driver_text(orig: BaseException) -> None:
    error = translate(wrapped(orig), {})
    assert isinstance(error, ReferenceViolation)
    assert not any(raw in error.detail for raw in (*RAW, "FOREIGN KEY", "foreign key constraint", "REFERENCES"))


def test_a_unique_refusal_names_its_single_column_as_the_attribute() -> None:
    error = translate(wrapped(sqlite3.IntegrityError("UNIQUE constraint failed: Employees.ContosoLogin")), {})
    assert isinstance(error, ObjectExists)
    assert error.attribute == "ContosoLogin"
    assert error.detail == "ContosoLogin: the value is already taken"


def test_a_check_constraint_is_named_by_its_constraint_not_the_driver_text() -> None:
    error = translate(wrapped(sqlite3.IntegrityError("CHECK constraint failed: age_positive")), {})
    assert isinstance(error, ConstraintViolation)
    assert "age_positive" in error.detail
    assert "constraint failed" not in error.detail


def test_missing_members_are_named_a_few_at_a_time() -> None:
    one = MembersNotFound(["x"])
    assert one.detail == "members: no User with id 'x'; add the user first or remove it from the request"
    many = MembersNotFound([f"id-{n}" for n in range(8)], "User or Group")
    assert "'id-0', 'id-1', 'id-2', 'id-3', 'id-4' and 3 more" in many.detail
    assert many.detail.endswith("add them first or remove them from the request")
    assert many.ids == tuple(f"id-{n}" for n in range(8))


def test_an_outage_keeps_the_driver_text_for_the_log_only() -> None:
    error = translate(wrapped(PgError("28P01", 'password authentication failed for user "scim"')), {})
    assert isinstance(error, TargetUnavailable)
    assert "password" not in error.detail
    assert error.reason == 'password authentication failed for user "scim"'

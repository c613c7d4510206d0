"""The full checkout transition table, row by row, as docs/architecture.md ("Checkout states") states it.

Every CheckoutStatus x Disposition pair is listed here explicitly: a new status or disposition without a
row fails `test_the_table_covers_every_status_and_disposition`.
"""

import pytest

from halotap.domain.states import CheckoutStatus, Disposition, Verdict, decide

S = CheckoutStatus
D = Disposition
T, R, X, A = Verdict.TRANSITION, Verdict.REPEAT, Verdict.STALE, Verdict.ANOMALY

# (current status, confirmed disposition) -> (verdict, new status, replaced status)
TABLE: dict[
    tuple[CheckoutStatus, Disposition], tuple[Verdict, CheckoutStatus | None, CheckoutStatus | None]
] = {}


def _rows(current, *rows):
    for disposition, verdict, new_status, replaced in rows:
        TABLE[(current, disposition)] = (verdict, new_status, replaced)


for unfinished in (S.CREATING, S.OPEN):
    _rows(
        unfinished,
        (D.APPROVED, T, S.APPROVED, None),
        (D.DECLINED, T, S.DECLINED, None),
        (D.DECLINED_OFFLINE, T, S.DECLINED, None),
        (D.UNABLE_TO_GO_ONLINE, T, S.FAILED, None),
        (D.INDETERMINATE, T, S.FAILED, None),
        (D.VOIDED, T, S.VOIDED, None),  # finding 1: a void seen before its approval
    )
_rows(
    S.APPROVED,
    (D.APPROVED, R, None, None),
    (D.DECLINED, A, None, None),
    (D.DECLINED_OFFLINE, A, None, None),
    (D.UNABLE_TO_GO_ONLINE, A, None, None),
    (D.INDETERMINATE, A, None, None),
    (D.VOIDED, T, S.VOIDED, None),
)
_rows(
    S.DECLINED,
    (D.APPROVED, T, S.APPROVED, S.DECLINED),
    (D.DECLINED, R, None, None),
    (D.DECLINED_OFFLINE, R, None, None),
    (D.UNABLE_TO_GO_ONLINE, A, None, None),
    (D.INDETERMINATE, A, None, None),
    (D.VOIDED, T, S.VOIDED, S.DECLINED),
)
_rows(
    S.FAILED,
    (D.APPROVED, T, S.APPROVED, S.FAILED),
    (D.DECLINED, A, None, None),
    (D.DECLINED_OFFLINE, A, None, None),
    (D.UNABLE_TO_GO_ONLINE, R, None, None),
    (D.INDETERMINATE, R, None, None),
    (D.VOIDED, T, S.VOIDED, S.FAILED),
)
for ended in (S.CANCELLED, S.EXPIRED):
    _rows(
        ended,
        (D.APPROVED, T, S.APPROVED, ended),
        (D.DECLINED, A, None, None),
        (D.DECLINED_OFFLINE, A, None, None),
        (D.UNABLE_TO_GO_ONLINE, A, None, None),
        (D.INDETERMINATE, A, None, None),
        (D.VOIDED, T, S.VOIDED, ended),
    )
_rows(
    S.VOIDED,
    (D.APPROVED, X, None, None),
    (D.DECLINED, A, None, None),
    (D.DECLINED_OFFLINE, A, None, None),
    (D.UNABLE_TO_GO_ONLINE, A, None, None),
    (D.INDETERMINATE, A, None, None),
    (D.VOIDED, R, None, None),
)


def test_the_table_covers_every_status_and_disposition():
    assert set(TABLE) == {(status, disposition) for status in S for disposition in D}


@pytest.mark.parametrize(
    ("current", "disposition"), sorted(TABLE, key=lambda row: (row[0].value, row[1].value))
)
def test_every_row_of_the_transition_table(current, disposition):
    decision = decide(current, disposition)
    assert (decision.verdict, decision.new_status, decision.replaced_status) == TABLE[(current, disposition)]


@pytest.mark.parametrize("current", [status for status in S if not status.is_final])
def test_no_confirmed_outcome_leaves_an_unfinished_checkout_unfinished(current):
    for disposition in D:
        new_status = decide(current, disposition).new_status
        assert new_status is not None
        assert new_status.is_final

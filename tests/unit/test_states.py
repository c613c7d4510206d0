import pytest

from halotap.domain.states import CheckoutStatus, Disposition, Verdict, can_cancel, decide

FINAL_NON_APPROVED = [
    CheckoutStatus.DECLINED,
    CheckoutStatus.FAILED,
    CheckoutStatus.CANCELLED,
    CheckoutStatus.EXPIRED,
]


@pytest.mark.parametrize(
    ("disposition", "status"),
    [
        ("Approved", CheckoutStatus.APPROVED),
        ("approved", CheckoutStatus.APPROVED),
        ("DECLINED", CheckoutStatus.DECLINED),
        ("DeclinedOffline", CheckoutStatus.DECLINED),
        ("UnableToGoOnline", CheckoutStatus.FAILED),
        ("indeterminate", CheckoutStatus.FAILED),
        ("Voided", CheckoutStatus.VOIDED),
    ],
)
def test_every_documented_disposition_maps_to_its_status_in_any_case(disposition, status):
    assert Disposition.parse(disposition).status == status


def test_an_undocumented_disposition_is_refused():
    with pytest.raises(ValueError, match="unknown Halo disposition"):
        Disposition.parse("Maybe")


@pytest.mark.parametrize("disposition", list(Disposition))
def test_an_open_checkout_takes_any_outcome(disposition):
    decision = decide(CheckoutStatus.OPEN, disposition)
    assert decision.verdict == Verdict.TRANSITION
    assert decision.new_status == disposition.status
    assert decision.replaced_status is None


@pytest.mark.parametrize("current", FINAL_NON_APPROVED)
def test_money_wins_over_every_final_non_approval_and_says_what_it_replaced(current):
    decision = decide(current, Disposition.APPROVED)
    assert decision.verdict == Verdict.TRANSITION
    assert decision.new_status == CheckoutStatus.APPROVED
    assert decision.replaced_status == current


@pytest.mark.parametrize(
    "disposition", [Disposition.DECLINED, Disposition.UNABLE_TO_GO_ONLINE, Disposition.INDETERMINATE]
)
def test_a_non_approval_after_approved_is_an_anomaly_that_changes_nothing(disposition):
    decision = decide(CheckoutStatus.APPROVED, disposition)
    assert decision.verdict == Verdict.ANOMALY
    assert decision.new_status is None


def test_a_void_moves_approved_to_voided():
    decision = decide(CheckoutStatus.APPROVED, Disposition.VOIDED)
    assert (decision.verdict, decision.new_status) == (Verdict.TRANSITION, CheckoutStatus.VOIDED)


def test_finding_1_a_void_seen_before_its_approval_ends_voided():
    decision = decide(CheckoutStatus.OPEN, Disposition.VOIDED)
    assert (decision.verdict, decision.new_status) == (Verdict.TRANSITION, CheckoutStatus.VOIDED)
    assert decision.reason == "voided before its approval was seen"


@pytest.mark.parametrize("current", FINAL_NON_APPROVED)
def test_a_void_after_a_final_non_approval_ends_voided_and_says_what_it_replaced(current):
    decision = decide(current, Disposition.VOIDED)
    assert (decision.verdict, decision.new_status) == (Verdict.TRANSITION, CheckoutStatus.VOIDED)
    assert decision.replaced_status == current


def test_an_approval_arriving_after_its_void_is_stale():
    assert decide(CheckoutStatus.VOIDED, Disposition.APPROVED).verdict == Verdict.STALE


@pytest.mark.parametrize("disposition", list(Disposition))
def test_a_repeat_of_the_current_outcome_is_a_no_op(disposition):
    assert decide(disposition.status, disposition).verdict == Verdict.REPEAT


def test_only_open_checkouts_can_be_cancelled():
    assert [s for s in CheckoutStatus if can_cancel(s)] == [CheckoutStatus.OPEN]

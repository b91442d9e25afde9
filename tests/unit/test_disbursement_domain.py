import uuid
from datetime import timedelta

from disbursement import domain


def test_one_payment_id_per_case():
    case = uuid.uuid4()
    assert domain.payment_id_for(case) == domain.payment_id_for(case)
    assert domain.payment_id_for(case) != domain.payment_id_for(uuid.uuid4())


def test_money_paths_between_accounts():
    assert domain.reserve("c") == domain.Transfer("c:available", "c:reserved", "reserve")
    assert domain.settle("c") == domain.Transfer("c:cleared", "c:paid", "settle")
    assert domain.release("c") == domain.Transfer("c:cleared", "c:available", "release")
    assert domain.fund("c") == domain.Transfer("c:funding", "c:available", "fund")


def test_bank_retry_backs_off_and_caps():
    assert [domain.retry_delay(n).seconds for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert domain.retry_delay(30) == timedelta(minutes=5)

import pytest

from bank_sim.bank import Bank, Behaviour, ConflictingInstruction

TRANSFER = dict(amount_fen=50000, payee_account="6222020200112233445", payee_name="张三")


def test_an_instruction_executes_once_and_repeats_get_the_first_answer(tmp_path):
    bank = Bank(Behaviour(0.0, 0.0, 0), seed=1, journal=tmp_path / "journal")
    first = bank.execute(instruction_id="p-1", **TRANSFER)
    again = bank.execute(instruction_id="p-1", **TRANSFER)
    assert first == again and first.status == "settled"
    assert bank.stats() == {"transfers": 1, "settled": 1, "rejected": 0, "settled_fen": 50000,
                            "repeated_submissions": 1}


def test_reusing_an_instruction_id_for_another_transfer_is_refused(tmp_path):
    bank = Bank(Behaviour(0.0, 0.0, 0), seed=1, journal=None)
    bank.execute(instruction_id="p-1", **TRANSFER)
    with pytest.raises(ConflictingInstruction):
        bank.execute(instruction_id="p-1", **{**TRANSFER, "amount_fen": 1})


def test_the_journal_survives_a_restart(tmp_path):
    journal = tmp_path / "journal"
    Bank(Behaviour(0.0, 0.0, 0), seed=1, journal=journal).execute(instruction_id="p-1", **TRANSFER)
    restarted = Bank(Behaviour(0.0, 0.0, 0), seed=1, journal=journal)
    restarted.execute(instruction_id="p-1", **TRANSFER)
    assert restarted.stats()["transfers"] == 1 and restarted.stats()["repeated_submissions"] == 1


def test_failure_rate_is_honoured_roughly():
    bank = Bank(Behaviour(0.2, 0.0, 0), seed=3, journal=None)
    outcomes = [bank.execute(instruction_id=f"p-{i}", **TRANSFER).status for i in range(2000)]
    assert 0.17 < outcomes.count("rejected") / 2000 < 0.23

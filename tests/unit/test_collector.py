"""The services' garbage collector settings (siji_shared.collector), applied by siji_shared.http.serve."""

import gc

from siji_shared.collector import YOUNG, tune_for_batches


def test_start_up_objects_are_frozen_and_young_collections_are_rarer():
    before = gc.get_threshold()
    try:
        tune_for_batches()
        assert gc.get_threshold() == (YOUNG, *before[1:])
        assert YOUNG > before[0]
        assert gc.get_freeze_count() > 1000  # the modules and models loaded so far
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)

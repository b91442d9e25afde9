"""Events of one key land in the partition the Java client (and aiokafka's own default) would choose."""

import random
import uuid

from aiokafka.partitioner import DefaultPartitioner

from siji_shared.kafka import KeyPartitioner


def test_every_key_lands_where_the_default_partitioner_puts_it():
    ours, theirs = KeyPartitioner(), DefaultPartitioner()
    rng = random.Random(7)
    keys = [str(uuid.UUID(int=rng.getrandbits(128))).encode() for _ in range(2000)]
    keys += [rng.randbytes(n) for n in range(0, 40)] + ["冬送温暖-太仓".encode()]
    for partitions in ([0], list(range(6)), list(range(7)), list(range(64))):
        assert [ours(k, partitions, partitions) for k in keys] == [theirs(k, partitions, partitions) for k in keys]


def test_a_record_without_a_key_goes_to_an_available_partition():
    assert KeyPartitioner()(None, list(range(6)), [4]) == 4

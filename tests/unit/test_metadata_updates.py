"""A producer's forced metadata updates are spaced: aiokafka's sender asks for one after another while a
partition has no known leader, and against a stopped broker each fails at once."""

import asyncio
import time

from siji_shared.kafka import RETRY_BACKOFF_MS, KafkaConnection, idempotent_producer, space_metadata_updates


class Client:
    def __init__(self):
        self.updates = 0

    def force_metadata_update(self):
        self.updates += 1
        failed = asyncio.get_running_loop().create_future()
        failed.set_result(False)  # the broker refused the connection at once
        return failed


async def test_a_sender_asking_in_a_loop_gets_one_update_per_interval():
    client = Client()
    space_metadata_updates(client, seconds=0.1)
    started = time.monotonic()
    while time.monotonic() - started < 0.55:
        assert await client.force_metadata_update() is False
    assert 5 <= client.updates <= 7, client.updates


async def test_the_first_update_and_one_after_a_quiet_interval_go_at_once():
    client = Client()
    space_metadata_updates(client, seconds=0.05)
    await asyncio.wait_for(client.force_metadata_update(), 0.01)
    await asyncio.sleep(0.06)
    await asyncio.wait_for(client.force_metadata_update(), 0.01)
    assert client.updates == 2


async def test_every_idempotent_producer_is_spaced():
    """Its second update asked for at once is answered 'not updated' after the interval, without an update."""
    client = idempotent_producer(KafkaConnection(bootstrap_servers="127.0.0.1:9"), client_id="t").client
    first = client.force_metadata_update()
    asked = time.monotonic()
    assert await asyncio.wait_for(client.force_metadata_update(), 1) is False
    assert time.monotonic() - asked >= RETRY_BACKOFF_MS / 1000 * 0.9 and not first.done()
    first.cancel()

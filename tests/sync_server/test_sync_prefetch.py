"""The speculative page builder (sync_server.sync.prefetch), without a database."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest

from shared_models.enums import Perfil
from sync_server.sync.prefetch import PagePrefetcher, PrefetchKey

USER = uuid.uuid4()


def key(cursor: str = "S1.transacoes.x", user: uuid.UUID = USER) -> PrefetchKey:
    return PrefetchKey(user, Perfil.INVESTIDOR, cursor)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def prefetcher(clock: Clock) -> Iterator[PagePrefetcher[str]]:
    p: PagePrefetcher[str] = PagePrefetcher(workers=2, max_pages=3, ttl_s=30, clock=clock)
    yield p
    p.close()


def test_a_page_built_ahead_is_taken_once(prefetcher: PagePrefetcher[str]) -> None:
    assert prefetcher.schedule(key(), 1000, lambda: "page")
    assert not prefetcher.schedule(key(), 1000, lambda: "again")  # already there
    assert prefetcher.take(key(), 1000) == (True, "page")
    assert prefetcher.take(key(), 1000) == (False, None)
    assert prefetcher.hits == 1


def test_only_the_same_user_profile_and_cursor_get_it(prefetcher: PagePrefetcher[str]) -> None:
    prefetcher.schedule(key(), 1000, lambda: "page")
    assert prefetcher.take(key(user=uuid.uuid4()), 1000) == (False, None)
    assert prefetcher.take(PrefetchKey(USER, Perfil.ADMIN, key().cursor), 1000) == (False, None)
    assert prefetcher.take(key("S1.transacoes.y"), 1000) == (False, None)
    assert prefetcher.take(key(), 1000) == (True, "page")


def test_a_page_fits_a_bigger_bound_not_a_smaller_one(prefetcher: PagePrefetcher[str]) -> None:
    prefetcher.schedule(key(), 1000, lambda: "page")
    assert prefetcher.take(key(), 2000) == (True, "page")
    prefetcher.schedule(key(), 1000, lambda: "page")
    assert prefetcher.take(key(), 500) == (False, None)


def test_old_pages_are_not_served(prefetcher: PagePrefetcher[str], clock: Clock) -> None:
    prefetcher.schedule(key(), 1000, lambda: "page")
    clock.now += 31
    assert prefetcher.take(key(), 1000) == (False, None)


def test_a_failed_build_is_a_miss(prefetcher: PagePrefetcher[str]) -> None:
    def fail() -> str:
        raise RuntimeError("database unreachable")

    prefetcher.schedule(key(), 1000, fail)
    assert prefetcher.take(key(), 1000) == (False, None)


def test_busy_workers_and_capacity_bound_the_work(prefetcher: PagePrefetcher[str]) -> None:
    release = threading.Event()
    prefetcher.schedule(key("a"), 1000, lambda: "a" if release.wait(10) else "")
    prefetcher.schedule(key("b"), 1000, lambda: "b" if release.wait(10) else "")
    assert not prefetcher.schedule(key("c"), 1000, lambda: "c")  # both workers busy
    release.set()
    assert prefetcher.take(key("a"), 1000) == (True, "a")
    assert prefetcher.take(key("b"), 1000) == (True, "b")
    for name in "defg":  # at most 3 kept: the oldest goes
        prefetcher.take(key(name), 1000)
        assert prefetcher.schedule(key(name), 1000, lambda name=name: name)  # type: ignore[misc]
        prefetcher._pool.submit(lambda: None).result()  # let the build finish
    assert prefetcher.take(key("d"), 1000) == (False, None)
    assert prefetcher.take(key("g"), 1000) == (True, "g")


def test_a_closed_prefetcher_builds_nothing(prefetcher: PagePrefetcher[str]) -> None:
    prefetcher.schedule(key(), 1000, lambda: "page")
    prefetcher.close()
    assert prefetcher.take(key(), 1000) == (False, None)
    assert not prefetcher.schedule(key(), 1000, lambda: "page")

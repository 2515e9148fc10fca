"""Where Prefect's type annotations and its behaviour part: its dual sync/async calls and the thread-pool runner.

Only modules that import Prefect anyway import this one (flows.runtime stays free of Prefect).
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar, cast, overload

from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

T = TypeVar("T")


@overload
def synchronous(result: Coroutine[Any, Any, T]) -> T: ...


@overload
def synchronous(result: T) -> T: ...


def synchronous(result: Any) -> Any:
    """The value of one of Prefect's dual sync/async calls made from sync code (where it is never a coroutine).

    Prefect types these calls as returning "the value or a coroutine" (some, like ``Automation.read``,
    as a coroutine only); called outside an event loop they return the value, and this checks it.
    """
    if isinstance(result, Coroutine):
        result.close()
        raise RuntimeError("a Prefect call returned a coroutine: this code runs synchronously, outside any event loop")
    return result


def thread_pool(workers: int) -> TaskRunner[PrefectFuture[Any]]:
    """A flow's thread-pool task runner, typed as ``@flow(task_runner=...)`` declares it.

    Prefect's ThreadPoolTaskRunner is a TaskRunner[PrefectConcurrentFuture], and TaskRunner is
    invariant in its future type, so the runner Prefect's own documentation passes to ``@flow``
    does not match the annotation ``TaskRunner[PrefectFuture]``; the cast says what is true.
    """
    return cast("TaskRunner[PrefectFuture[Any]]", ThreadPoolTaskRunner(max_workers=workers))

"""/api/v1/queue: the queues that need a person (deferred, failed, shunt): list, retry, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from gateway.api.deps import PrincipalDep, ServicesDep
from gateway.api.schemas.common import AUTHED, NOT_FOUND
from gateway.api.schemas.operations import QueueEntry, QueueName

router = APIRouter(prefix="/api/v1/queue", tags=["queue"], responses=AUTHED)
QueueId = Annotated[str, Path(min_length=1, max_length=32, examples=["0195F3A2D11111123400"])]


@router.get("/{queue}", response_model=list[QueueEntry], summary="Entries, oldest first")
def entries(
    services: ServicesDep, principal: PrincipalDep, queue: QueueName,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    after: Annotated[str, Query(max_length=32, description="the last queue ID seen")] = "",
) -> list[QueueEntry]:
    return [QueueEntry.of(e) for e in services.queue.entries(principal, queue, limit=limit,
                                                              after=after)]


@router.post("/{queue}/{queue_id}/retry", response_model=QueueEntry, responses=NOT_FOUND,
             summary="Try again now (failed recipients too)")
def retry(services: ServicesDep, principal: PrincipalDep, queue: QueueName, queue_id: QueueId
          ) -> QueueEntry:
    return QueueEntry.of(services.queue.retry(principal, queue, queue_id))


@router.delete("/{queue}/{queue_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=NOT_FOUND, summary="Drop an entry (audited)")
def delete(
    services: ServicesDep, principal: PrincipalDep, queue: QueueName, queue_id: QueueId,
    reason: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    services.queue.delete(principal, queue, queue_id, reason)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

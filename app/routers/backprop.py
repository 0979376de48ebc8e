"""POST /api/backprop: the notes' backpropagation walkthrough, every chain-rule factor as a number."""

from fastapi import APIRouter

from engine.walkthrough import walkthrough

from ..schemas.backprop import BackpropRequest, BackpropResponse
from ..schemas.common import ErrorResponse

router = APIRouter(tags=["learning"])


@router.post(
    "/api/backprop",
    response_model=BackpropResponse,
    responses={413: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)
def backprop(body: BackpropRequest) -> dict:
    """Forward pass, loss, each factor of dJ/dw21, dJ/db2, dJ/dw11 and dJ/db1, one SGD update and the
    forward pass after it; ``updates`` earlier updates first ("one more step"), with the loss history."""
    return walkthrough(**body.model_dump())

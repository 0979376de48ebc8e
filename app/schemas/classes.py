"""Classes that students follow (``/api/classes``, ``/ws/classes/{code}``): see :mod:`app.classes`."""

from pydantic import BaseModel, Field


class ClassState(BaseModel):
    path: str = Field(description="the page the teacher is on, such as /conv")
    query: str = Field(
        description="its query string without the leading ?: the lab's whole configuration and the player's step"
    )
    seq: int = Field(description="1 for the first state the teacher sent, then one more each time")


class ClassResponse(BaseModel):
    code: str = Field(description="the join code students type (any case) or reach by the join URL")
    join_url: str = Field(
        description="the URL students open (as text and as the QR code): /join/CODE on an "
        "address of this server other machines can reach"
    )
    qr_url: str = Field(description="an SVG image of the join URL as a QR code")
    following: int = Field(description="students following the teacher now")
    exploring: int = Field(description="students connected but exploring alone")
    state: ClassState | None = Field(description="what the teacher's page showed last (null before the first)")


class ClassCreated(ClassResponse):
    control_token: str = Field(description="the key to lead the class and to end it: given only once, keep it")


class ClassEnded(BaseModel):
    code: str
    ended: str = Field(description='"closed": every follower has been told')

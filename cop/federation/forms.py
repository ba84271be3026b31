"""Forms of the federation pages: field checks only; the rules live in the services."""

from __future__ import annotations

from typing import Optional as Maybe

from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Regexp

from cop.federation.blocks import MAX_DOMAIN_LENGTH, MAX_REASON_LENGTH
from cop.federation.models import MAX_URI_LENGTH
from cop.forms import SiteForm

#: A row's id as a hidden field carries it.
_ROW_ID = Regexp(r"^[1-9][0-9]{0,9}$", message="That row is not there any more. Reload the page and try again.")


def row_id(field: HiddenField) -> Maybe[int]:
    """The id a hidden field carries, once the form has validated it."""
    return int(field.data) if field.data else None


class FollowForm(SiteForm):
    handle = StringField(
        "Handle or address of the agency to follow",
        description="Like lambeth@cop.example, or @name@mastodon.social, or the address of its actor.",
        validators=[
            DataRequired("Enter the handle of the agency to follow, like lambeth@cop.example."),
            Length(max=MAX_URI_LENGTH, message=f"Handles are {MAX_URI_LENGTH} characters or fewer."),
        ],
    )


class UnfollowForm(SiteForm):
    following = HiddenField(validators=[DataRequired("That follow is not there any more. Reload the page."), _ROW_ID])


class FollowerDecisionForm(SiteForm):
    follower = HiddenField(validators=[DataRequired("That follower is not there any more. Reload the page."), _ROW_ID])
    decision = HiddenField(validators=[AnyOf(["approve", "refuse", "remove"], message="Choose approve, refuse or remove.")])


class ApprovalForm(SiteForm):
    approves_followers = BooleanField(
        "Approve each new follower by hand",
        description="Off: every server that asks to follow is accepted at once. Turning it off approves everyone waiting.",
    )


class RetryForm(SiteForm):
    delivery = HiddenField(validators=[DataRequired("That delivery is not there any more. Reload the page."), _ROW_ID])


class BlockForm(SiteForm):
    domain = StringField(
        "Domain to block",
        description="Like spam.example. Its subdomains are blocked too; nothing is sent to it or accepted from it.",
        validators=[
            DataRequired("Enter the domain to block, like spam.example."),
            Length(max=MAX_DOMAIN_LENGTH, message=f"Domains are {MAX_DOMAIN_LENGTH} characters or fewer."),
        ],
    )
    reason = TextAreaField(
        "Why (optional)",
        validators=[Length(max=MAX_REASON_LENGTH, message=f"Keep the reason to {MAX_REASON_LENGTH} characters or fewer.")],
    )


class UnblockForm(SiteForm):
    block = HiddenField(validators=[DataRequired("That block is not there any more. Reload the page."), _ROW_ID])

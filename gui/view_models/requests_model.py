"""What the requests area says, as plain data: the row above the conversations, each request's lines,
and the blocked numbers in Settings."""

from __future__ import annotations

from gui.view_models.names import formatted_number, number_beneath, shown_name
from net.client.core.events import ContactView, GroupRequest, RequestView

#: A group invitation's key in the requests window: this prefix and the group's id (a phone starts with "+").
GROUP_KEY = "group:"


def request_key(request: RequestView | GroupRequest) -> str:
    """What the requests window keys a row by: the stranger's phone, or "group:" and the group's id."""
    return GROUP_KEY + request.group_id if isinstance(request, GroupRequest) else request.phone


def _inviter(request: GroupRequest) -> str:
    number = formatted_number(request.inviter)
    return f"{number} (“{request.inviter_name}”)" if request.inviter_name else number


def requests_row(count: int, dropped: int) -> tuple[str, str]:
    """The requests row's title and line beneath; ("", "") when there is nothing to show."""
    if not count and not dropped:
        return "", ""
    title = "Message requests" + (f" · {count}" if count else "")
    lines = []
    if count:
        lines.append("From numbers not in your contacts")
    if dropped:
        lines.append(f"{dropped} message{'s' if dropped != 1 else ''} from blocked numbers dropped")
    return title, "  ·  ".join(lines)


def request_title(request: RequestView | GroupRequest) -> str:
    """A request in the list: the number, and the name they sent if any (never taken as a contact's)."""
    if isinstance(request, GroupRequest):
        return f"Group “{request.name}”"
    number = formatted_number(request.phone)
    return f"{number} — “{request.name}”" if request.name else number


def request_heading(request: RequestView | GroupRequest) -> str:
    count = request.messages
    if isinstance(request, GroupRequest):
        return (
            f"{_inviter(request)}, who is not in your contacts, added you to the group “{request.name}” "
            f"of {request.members} members ({count} message{'s' if count != 1 else ''} so far). Until you "
            "accept, nobody in it learns anything from you: not that messages arrived, nor your name. "
            "Delete leaves the group (its members see that you left); Block blocks whoever added you "
            "and leaves without a word."
        )
    said = f"{count} message{'s' if count != 1 else ''}"
    who = (
        f"{formatted_number(request.phone)}, who calls themselves “{request.name}”,"
        if request.name
        else (formatted_number(request.phone))
    )
    return (
        f"{who} is not in your contacts and sent {said}. Until you accept, they learn nothing: "
        "not that the messages arrived, nor that you read them."
    )


def blocked_line(contact: ContactView) -> str:
    """A blocked number in Settings: in international form, and the name it is known by, if any."""
    number = formatted_number(contact.phone)
    if not number_beneath(contact.phone, contact.name, contact.profile_name):
        return number
    return f"{number} — “{shown_name(contact.phone, contact.name, contact.profile_name)}”"


def blocked_summary(count: int, dropped: int) -> str:
    """The line under "Blocked numbers": how many, and how many of their messages were dropped unread."""
    if not count:
        said = "You have not blocked any number. A number is blocked from its message request."
    else:
        said = f"{count} blocked number{'s' if count != 1 else ''}: what they send is dropped unread."
    if dropped:
        said += f" {dropped:,} message{'s' if dropped != 1 else ''} from blocked numbers dropped so far."
    return said

"""What domains announce (blinker, which Flask itself uses); other domains listen without being imported.

Receivers run in the sender's transaction: they add and flush, and the sender's caller commits.
"""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()

#: A person confirmed their email address. Sender: the User.
email_verified = signals.signal("email-verified")

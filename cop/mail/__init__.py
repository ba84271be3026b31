"""Outgoing mail: every message is kept in the outbox and sent by SMTP when configured."""

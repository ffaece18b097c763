"""``novbe web``: the citizens' pages. Each ticket's live page, which the QR code on the
ticket opens, and the hall's queues in public, served by a process beside the hall server
that follows its events (docs/phone.md)."""

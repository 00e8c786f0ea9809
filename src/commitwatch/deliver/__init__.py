"""Delivery: where finished reports go after they are written. Reports published to GitHub
(``github``: files through the contents API in ``contents``, or ``issues``; ``publication`` holds what
they share) and the notification digest to chat and mail (``notify``,
with ``targets`` naming them safely, ``senders`` posting to each service, ``message`` building the
digest and ``split`` fitting it to each service), with mentions
neutralised (``mentions``). Reports are written and stored before any delivery starts, and every
attempt is recorded in the store, so a rerun never posts twice, a failed delivery never loses a report,
and the next run retries it."""

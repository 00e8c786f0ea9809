"""Delivery: reports published to GitHub (``github``: contents API files or issues), with mentions
neutralised (``mentions``). Every attempt is recorded in the store, so a rerun never posts twice and a
failed delivery is retried by the next run."""
